/** `DocumentError`: a stable kind and its catalogue code, a message, and recognition across package copies. */
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/documents/document-error.js';

describe('DocumentError', () => {
  it('carries its kind, code, message and cause', () => {
    const cause = new Error('root cause');
    const error = new DocumentError('too_large', 'too big; upload less', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DocumentError');
    expect(error.kind).toBe('too_large');
    expect(error.code).toBe('document_too_large');
    expect(error.message).toBe('too big; upload less');
    expect(error.cause).toBe(cause);
  });

  it('recognises instances by a marker, not by class identity', () => {
    expect(DocumentError.isInstance(new DocumentError('empty', 'nothing'))).toBe(true);
    // What a second copy of the package would create: same global symbol, different class.
    const foreign = { [Symbol.for('fleet-rlm.DocumentError')]: true, kind: 'empty', message: 'x' };
    expect(DocumentError.isInstance(foreign)).toBe(true);
    expect(DocumentError.isInstance(new Error('plain'))).toBe(false);
    expect(DocumentError.isInstance({ code: 'empty' })).toBe(false);
    expect(DocumentError.isInstance(null)).toBe(false);
    expect(DocumentError.isInstance('too_large')).toBe(false);
  });
});
