/** NDJSON framing: lines split across chunks, and a line past the cap is dropped, never buffered. */
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/sandbox/line-splitter.js';

describe('LineSplitter', () => {
  it('joins a line split across chunks and skips blank lines', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), {
      maxLineBytes: 100,
      onOversized: () => {},
    });
    splitter.push(Buffer.from('{"a":'));
    splitter.push(Buffer.from('1}\n\n{"b":2}\n{"c"'));
    splitter.push(Buffer.from(':3}\n'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('drops a line longer than the cap as it arrives, once, and resumes at the next newline', () => {
    const lines: string[] = [];
    const oversized: number[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), {
      maxLineBytes: 1000,
      onOversized: (bytes) => oversized.push(bytes),
    });
    splitter.push(Buffer.from('{"ok":1}\n'));
    // 5 chunks of 600 bytes with no newline: the line is given up on at the second chunk.
    for (let index = 0; index < 5; index++) splitter.push(Buffer.alloc(600, 0x41));
    expect(oversized).toEqual([1200]);
    expect(splitter.bufferedBytes).toBe(0); // nothing of the long line is kept
    splitter.push(Buffer.from('AAAA\n{"ok":2}\n'));
    expect(lines).toEqual(['{"ok":1}', '{"ok":2}']);
    expect(oversized).toEqual([1200]);
  });

  it('drops a long line that arrives whole in one chunk', () => {
    const lines: string[] = [];
    const oversized: number[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), {
      maxLineBytes: 10,
      onOversized: (bytes) => oversized.push(bytes),
    });
    splitter.push(Buffer.from('short\nthis line is far too long\nok\n')); // 25 bytes
    expect(lines).toEqual(['short', 'ok']);
    expect(oversized).toEqual([25]);
  });
});
