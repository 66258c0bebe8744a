import { describe, expect, it } from 'vitest';
import {
  decodeSessionCursor,
  encodeSessionCursor,
  InvalidCursorError,
} from '../../src/store/session-cursor.js';
import { titleFromMessage } from '../../src/store/session-title.js';

describe('titleFromMessage', () => {
  it('puts the message on one line', () => {
    expect(titleFromMessage('  What is\n\tthe   answer?\r\n ')).toBe('What is the answer?');
  });

  it('cuts at 80 characters without splitting an emoji', () => {
    expect(titleFromMessage('x'.repeat(200))).toBe('x'.repeat(80));
    const title = titleFromMessage(`${'a'.repeat(79)}😀😀`);
    expect(Array.from(title)).toHaveLength(80);
    expect(title.endsWith('😀')).toBe(true);
  });
});

describe('session cursor', () => {
  it('round-trips and refuses anything else', () => {
    const cursor = { updatedAt: 1_700_000_000_123, id: 'a-b' };
    expect(decodeSessionCursor(encodeSessionCursor(cursor))).toEqual(cursor);
    for (const bad of [
      '',
      '%%%',
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('["1","x"]').toString('base64url'),
    ]) {
      expect(() => decodeSessionCursor(bad)).toThrow(InvalidCursorError);
    }
  });
});
