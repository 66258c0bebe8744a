import { describe, expect, it } from 'vitest';
import { parseReply } from '../../src/rlm/code-blocks.js';

describe('parseReply', () => {
  it('runs repl, python, py and unlabelled blocks in order and keeps the prose as reasoning', () => {
    const reply = [
      'First I look at the size.',
      '```repl',
      'print(len(context))',
      '```',
      'Then a sample.',
      '```python',
      'print(context[:100])',
      '```',
      '```py',
      'x = 1',
      '```',
      '```',
      'y = 2',
      '```',
    ].join('\n');
    const parsed = parseReply(reply);
    expect(parsed.blocks).toEqual(['print(len(context))', 'print(context[:100])', 'x = 1', 'y = 2']);
    expect(parsed.reasoning).toBe('First I look at the size.\n\nThen a sample.');
    expect(parsed.unclosed).toBe(false);
  });

  it('never runs blocks in other languages; they stay in the reasoning', () => {
    const parsed = parseReply('Plan:\n```json\n{"a": 1}\n```\n```bash\nrm -rf /\n```');
    expect(parsed.blocks).toEqual([]);
    expect(parsed.reasoning).toContain('{"a": 1}');
    expect(parsed.reasoning).toContain('rm -rf /');
  });

  it('handles CRLF line endings, tildes and longer fences containing ``` inside', () => {
    expect(parseReply('```repl\r\nprint(1)\r\n```\r\n').blocks).toEqual(['print(1)']);
    expect(parseReply('~~~python\nprint(2)\n~~~').blocks).toEqual(['print(2)']);
    expect(parseReply('````repl\ns = """```"""\nprint(s)\n````').blocks).toEqual(['s = """```"""\nprint(s)']);
  });

  it('reports an unclosed fence and runs nothing from it', () => {
    const parsed = parseReply('Let me try\n```repl\nprint("cut off');
    expect(parsed.blocks).toEqual([]);
    expect(parsed.unclosed).toBe(true);
  });

  it('skips empty blocks', () => {
    expect(parseReply('```repl\n\n```\n```repl\nx=1\n```').blocks).toEqual(['x=1']);
  });
});
