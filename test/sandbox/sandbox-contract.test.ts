/**
 * The Sandbox contract, run against both providers on real runtimes (Pyodide in a worker,
 * python3 in a child process). One sandbox per provider is shared by the tests of its block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { HostCall, OutputChunk, Sandbox, SandboxProvider } from '../../src/sandbox/sandbox.js';
import { sha256, TEST_CACHE_DIR } from './support.js';

const MEMORY_LIMIT_MB = 256;

describe.each<SandboxProvider>(['pyodide', 'process'])('%s sandbox contract', (provider) => {
  let sandbox: Sandbox;
  const run = (code: string, extra: Partial<Parameters<Sandbox['execute']>[0]> = {}) =>
    sandbox.execute({ context: 'root', code, ...extra });

  beforeAll(async () => {
    sandbox = await createSandbox({ provider, cacheDir: TEST_CACHE_DIR, memoryLimitMb: MEMORY_LIMIT_MB });
    await sandbox.start();
  });
  afterAll(() => sandbox?.shutdown());

  it('keeps globals between executions and echoes a trailing expression', async () => {
    expect((await run('x = 41\ndef double(n):\n    return n * 2')).error).toBeUndefined();
    const result = await run('x + 1');
    expect(result.stdout).toBe('42\n');
    expect((await run('double(x)')).stdout).toBe('82\n');
  });

  it('captures stdout and stderr, keeping head and tail past maxOutputChars', async () => {
    const plain = await run('import sys\nprint("out")\nprint("err", file=sys.stderr)');
    expect(plain.stdout).toBe('out\n');
    expect(plain.stderr).toBe('err\n');

    const long = await run('print("a" * 5000 + "MIDDLE" + "b" * 5000)', { maxOutputChars: 1000 });
    expect(long.stdoutChars).toBe(10_007);
    expect(long.stdout.startsWith('a'.repeat(500))).toBe(true);
    expect(long.stdout.endsWith(`${'b'.repeat(499)}\n`)).toBe(true);
    expect(long.stdout).toContain('characters omitted');
    expect(long.stdout).not.toContain('MIDDLE');
    expect(long.stdout.length).toBeLessThan(1100);
  });

  it('streams output live, before the execution ends', async () => {
    const chunks: OutputChunk[] = [];
    let seenAtCall = '';
    const result = await run('print("first")\nllm_query("wait")\nprint("second")', {
      onOutput: (chunk) => chunks.push(chunk),
      onCall: async () => {
        seenAtCall = chunks.map((chunk) => chunk.text).join('');
        return 'ok';
      },
    });
    expect(seenAtCall).toBe('first\n');
    expect(
      chunks.every((chunk) => chunk.executionId === result.executionId && chunk.stream === 'stdout'),
    ).toBe(true);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(result.stdout);
    expect(result.stdout).toBe('first\nsecond\n');
  });

  it('ends the block at SUBMIT with the final payload, by keyword or by position', async () => {
    const keyword = await run('SUBMIT(answer="42", score=3)\nprint("not reached")');
    expect(keyword.final).toEqual({ answer: '42', score: 3 });
    expect(keyword.stdout).toBe('');
    expect(keyword.error).toBeUndefined();

    const positional = await run('try:\n    SUBMIT("yes", 0.5)\nexcept Exception:\n    print("swallowed")', {
      outputFields: ['answer', 'confidence'],
    });
    expect(positional.final).toEqual({ answer: 'yes', confidence: 0.5 });
    expect(positional.stdout).toBe('');

    const tooMany = await run('SUBMIT(1, 2)', { outputFields: ['answer'] });
    expect(tooMany.final).toBeUndefined();
    expect(tooMany.error?.type).toBe('TypeError');
  });

  it('reports exceptions with a traceback of the user code only', async () => {
    const result = await run(
      'def inner():\n    raise ValueError("boom")\n\ndef outer():\n    inner()\n\nouter()',
    );
    expect(result.error?.type).toBe('ValueError');
    expect(result.error?.message).toBe('boom');
    const traceback = result.error?.traceback ?? '';
    expect(traceback).toMatch(/^Traceback \(most recent call last\):/);
    expect(traceback).toContain('in outer');
    expect(traceback).toContain('in inner');
    expect(traceback).toContain('raise ValueError("boom")');
    expect(traceback.trimEnd().endsWith('ValueError: boom')).toBe(true);
    for (const internal of ['driver.py', 'fleet-driver', '_pyodide', 'exec(body']) {
      expect(traceback).not.toContain(internal);
    }
  });

  it('reports syntax errors and stays usable', async () => {
    const result = await run('x = 1\ndef broken(:\n    pass');
    expect(result.error?.type).toBe('SyntaxError');
    expect(result.error?.traceback).toContain('def broken(:');
    expect(result.error?.traceback).not.toContain('driver');
    expect((await run('print("still here")')).stdout).toBe('still here\n');
  });

  it('keeps contexts apart, and reset drops one or all of them', async () => {
    await sandbox.execute({ context: 'alpha', code: 'v = "a"' });
    await sandbox.execute({ context: 'beta', code: 'v = "b"' });
    expect((await sandbox.execute({ context: 'alpha', code: 'v' })).stdout).toBe("'a'\n");
    expect((await sandbox.execute({ context: 'beta', code: 'v' })).stdout).toBe("'b'\n");
    expect((await sandbox.execute({ context: 'gamma', code: 'v' })).error?.type).toBe('NameError');

    await sandbox.reset('alpha');
    expect((await sandbox.execute({ context: 'alpha', code: 'v' })).error?.type).toBe('NameError');
    expect((await sandbox.execute({ context: 'beta', code: 'v' })).stdout).toBe("'b'\n");

    await run('survivor = 1');
    await sandbox.reset();
    expect((await sandbox.execute({ context: 'beta', code: 'v' })).error?.type).toBe('NameError');
    expect((await run('survivor')).error?.type).toBe('NameError');
    // The primitives come back in a fresh namespace.
    expect((await run('callable(llm_query) and callable(SUBMIT)')).stdout).toBe('True\n');
  });

  it('answers host calls: llm_query, llm_query_batched and a registered tool', async () => {
    await sandbox.registerTools([{ name: 'lookup', params: ['key', 'fallback'], doc: 'Look a key up.' }]);
    const calls: HostCall[] = [];
    const result = await run(
      [
        'print(llm_query("ping"))',
        'print(llm_query_batched(["a", "b", "c"]))',
        'print(lookup("k", fallback={"n": 1}))',
        'print(lookup.__doc__)',
      ].join('\n'),
      {
        onCall: async (call) => {
          calls.push(call);
          if (call.name === 'llm_query') return `pong:${call.args.prompt}`;
          if (call.name === 'llm_query_batched')
            return (call.args.prompts as string[]).map((p) => p.toUpperCase());
          return { found: true, args: call.args };
        },
      },
    );
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe(
      "pong:ping\n['A', 'B', 'C']\n{'found': True, 'args': {'key': 'k', 'fallback': {'n': 1}}}\nLook a key up.\n",
    );
    expect(calls.map((call) => call.name)).toEqual(['llm_query', 'llm_query_batched', 'lookup']);
    expect(calls.every((call) => call.executionId === result.executionId)).toBe(true);
  });

  it('turns a failing handler into CallError with its kind in Python', async () => {
    const result = await run(
      'try:\n    llm_query("x")\nexcept Exception as error:\n    print(type(error).__name__, error.kind, error)',
      {
        onCall: async () => {
          throw Object.assign(new Error('no calls left'), { kind: 'max_llm_calls' });
        },
      },
    );
    expect(result.stdout).toBe('CallError max_llm_calls [max_llm_calls] no calls left\n');
    const uncaught = await run('llm_query("x")', {
      onCall: async () => {
        throw new Error('plain failure');
      },
    });
    expect(uncaught.error?.type).toBe('CallError');
    expect(uncaught.error?.message).toContain('plain failure');
  });

  it('runs executions re-entrantly while a host call waits (a child RLM in the same sandbox)', async () => {
    const order: string[] = [];
    const onCall = async (call: HostCall): Promise<unknown> => {
      const depth = Number(call.args.prompt);
      order.push(`call ${depth}`);
      const child = await sandbox.execute({
        context: `child-${depth}`,
        code:
          depth < 2
            ? `secret = ${depth} * 10\nSUBMIT(answer=sub_rlm("${depth + 1}") + "/" + str(secret))`
            : 'SUBMIT(answer="leaf")',
        onCall,
      });
      order.push(`child ${depth} done`);
      if (child.error) throw new Error(child.error.message);
      return child.final?.answer;
    };
    const result = await run('parent_var = "kept"\nprint(sub_rlm("1"))\nprint(parent_var)', { onCall });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe('leaf/10\nkept\n');
    expect(order).toEqual(['call 1', 'call 2', 'child 2 done', 'child 1 done']);
    expect((await sandbox.execute({ context: 'child-1', code: 'secret' })).stdout).toBe('10\n');
    expect((await run('secret')).error?.type).toBe('NameError');
  });

  it('sets a 10 MB string as a variable', async () => {
    const big = `${'0123456789abcdef'.repeat(655_360)}NEEDLE-4242`;
    await sandbox.setVariable('root', 'big', big);
    const result = await run(
      'import hashlib, re\nprint(len(big), re.search(r"NEEDLE-(\\d+)", big).group(1), hashlib.sha256(big.encode()).hexdigest())',
    );
    expect(result.stdout).toBe(`${big.length} 4242 ${sha256(big)}\n`);
    await run('del big');
  });

  it('sets lists of non-ASCII strings (inline and as bytes) and JSON objects', async () => {
    const small = ['héllo', '日本語', '🎉 party', 'tab\tand "quotes"', ''];
    const large = Array.from(
      { length: 400 },
      (_, index) => `${index}: ünïcödé 🚀 ${'ß'.repeat(index % 7)} 中文`,
    );
    for (const [name, items] of [
      ['small', small],
      ['large', large],
    ] as const) {
      await sandbox.setVariable('root', name, [...items]);
      const result = await run(
        `import hashlib\nprint(type(${name}).__name__, [len(s) for s in ${name}] == ${JSON.stringify(items.map((s) => [...s].length))}, hashlib.sha256("\\n".join(${name}).encode()).hexdigest())`,
      );
      expect(result.stdout).toBe(`list True ${sha256(items.join('\n'))}\n`);
    }
    const object = { count: 3, nested: { items: [1, 'two', null, true], ü: 'ß' }, emoji: '🙂' };
    await sandbox.setVariable('root', 'obj', object);
    const bigObject = {
      rows: Array.from({ length: 500 }, (_, index) => ({ index, label: `row ${index} ✓` })),
    };
    await sandbox.setVariable('root', 'big_obj', bigObject);
    const result = await run(
      'print(obj["nested"]["items"], obj["nested"]["ü"], obj["emoji"], len(big_obj["rows"]), big_obj["rows"][499]["label"])',
    );
    expect(result.stdout).toBe("[1, 'two', None, True] ß 🙂 500 row 499 ✓\n");
  });

  it('interrupts a runaway loop at its timeout and keeps earlier state', async () => {
    await run('before_loop = "kept"');
    const started = performance.now();
    const result = await run('while True:\n    pass', { timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result.interrupted).toBe('timeout');
    expect(result.error?.type).toBe('TimeoutError');
    expect(result.stateLost).toBeUndefined();
    expect((await run('before_loop')).stdout).toBe("'kept'\n");
  });

  it('interrupts time.sleep at its timeout', async () => {
    const started = performance.now();
    const result = await run('import time\nslept = "no"\ntime.sleep(1000)\nslept = "yes"', {
      timeoutMs: 300,
    });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result.interrupted).toBe('timeout');
    expect(result.error?.type).toBe('TimeoutError');
    expect((await run('slept')).stdout).toBe("'no'\n");
  });

  it('cancels an execution blocked in a hung host call and drops the late answer', async () => {
    await run('survives_cancel = 7');
    const controller = new AbortController();
    let handlerSignal: AbortSignal | undefined;
    let answerLate: (value: string) => void = () => {};
    const late = new Promise<string>((resolve) => {
      answerLate = resolve;
    });
    const started = performance.now();
    const result = await run('value = llm_query("hang")\nprint("not reached")', {
      signal: controller.signal,
      onCall: (_call, signal) => {
        handlerSignal = signal;
        controller.abort();
        return late;
      },
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result.interrupted).toBe('cancelled');
    expect(result.error?.type).toBe('KeyboardInterrupt');
    expect(result.stdout).toBe('');
    expect(handlerSignal?.aborted).toBe(true);

    answerLate('too late'); // must be dropped, not taken as the answer to a later call
    const next = await run('print(survives_cancel, llm_query("fresh"))', {
      onCall: async () => 'fresh answer',
    });
    expect(next.error).toBeUndefined();
    expect(next.stdout).toBe('7 fresh answer\n');
    expect((await run('value')).error?.type).toBe('NameError');
  });

  it('does not count time spent in a slow host call against the timeout', async () => {
    const result = await run('answers = [llm_query(str(i)) for i in range(3)]\nprint(answers)', {
      timeoutMs: 300,
      onCall: async (call) => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return `a${call.args.prompt}`;
      },
    });
    expect(result.error).toBeUndefined();
    expect(result.interrupted).toBeUndefined();
    expect(result.stdout).toBe("['a0', 'a1', 'a2']\n");
  });

  it('raises MemoryError past the memory cap and survives it', async () => {
    await run('before_cap = "kept"');
    const result = await run(
      `chunks = []\ntry:\n    while True:\n        chunks.append(bytearray(16 * 2**20))\nexcept MemoryError:\n    reached = len(chunks) * 16\n    chunks = None\n    raise`,
    );
    expect(result.error?.type).toBe('MemoryError');
    expect(result.stateLost).toBeUndefined();
    if (provider === 'pyodide') {
      // The cap is enforced on the wasm heap from the host side, and the heap is reported.
      const memory = sandbox.stats().memoryBytes ?? 0;
      expect(memory).toBeGreaterThan(128 * 2 ** 20);
      expect(memory).toBeLessThanOrEqual(MEMORY_LIMIT_MB * 2 ** 20);
    }
    const after = await run('print(before_cap, reached <= 256, sum(range(1000)))');
    expect(after.stdout).toBe('kept True 499500\n');
  });
});
