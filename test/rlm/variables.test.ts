import { describe, expect, it } from 'vitest';
import { describeVariable } from '../../src/rlm/variables.js';

describe('describeVariable', () => {
  it('shows a big string as metadata and a short preview, never the whole value', () => {
    const text = `${'line\n'.repeat(200_000)}SECRET-NEEDLE`;
    const line = describeVariable('context', text);
    expect(line).toContain('`context`: str, 1,000,013 chars, 200,001 lines');
    expect(line).not.toContain('SECRET-NEEDLE');
    expect(line.length).toBeLessThan(400);
  });

  it('describes a list of documents by count, total size and item lengths', () => {
    const line = describeVariable('context', ['alpha', 'beta'.repeat(1000)]);
    expect(line).toContain('list of 2 str, 4,005 chars in all (item lengths: 5, 4,000)');
    expect(line).toContain('Preview of context[0]: "alpha"');
  });

  it('describes scalars and dicts', () => {
    expect(describeVariable('n', 3)).toBe('- `n`: int = 3');
    expect(describeVariable('flag', true)).toBe('- `flag`: bool = true');
    expect(describeVariable('meta', { a: 1, b: 'x' })).toContain('dict with keys a, b');
  });
});
