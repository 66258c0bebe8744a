/**
 * Host-side caps on what a sandbox sends, on real runtimes: the host counts every byte itself
 * (it never trusts the driver, which model code can patch), stops an execution past its output
 * or host-call budget, restarts a runtime that sends an oversized protocol line or floods while
 * no code runs, and never lets a thread or process outlive the execution that started it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type {
  ExecuteOptions,
  Sandbox,
  SandboxLifecycleEvent,
  SandboxProvider,
} from '../../src/sandbox/sandbox.js';
import { descendantProcesses, TEST_CACHE_DIR } from './support.js';

const MB = 1024 * 1024;
const LIVE_CAP = MB; // what the host forwards live per execution

/** Python that finds the driver object, as an attacker would, and the running execution's id. */
const GRAB_DRIVER = ['import sys, json', 'd = sys.stdout._driver', 'me = d.current().id'];

function forgedOutputLines(count: number, textBytes: number): string {
  return [
    ...GRAB_DRIVER,
    `line = json.dumps({"type": "output", "id": me, "stream": "stdout", "text": "A" * ${textBytes}})`,
    `for _ in range(${count}):`,
    '    d.transport.send(line)',
  ].join('\n');
}

/** Runs code and counts what reached onOutput, without keeping it. */
async function runCounting(sandbox: Sandbox, code: string, extra: Partial<ExecuteOptions> = {}) {
  let forwarded = 0;
  let chunks = 0;
  const result = await sandbox.execute({
    context: 'root',
    code,
    onOutput: (chunk) => {
      forwarded += chunk.text.length;
      chunks++;
    },
    ...extra,
  });
  return { result, forwarded, chunks };
}

describe.each<SandboxProvider>(['process', 'pyodide'])('%s sandbox: host-side caps', (provider) => {
  let sandbox: Sandbox;
  const logs: string[] = [];
  const events: SandboxLifecycleEvent[] = [];

  beforeAll(async () => {
    sandbox = await createSandbox({
      provider,
      cacheDir: TEST_CACHE_DIR,
      maxOutputBytes: 4 * MB,
      maxLineBytes: 8 * MB,
      maxCalls: 500,
      log: (message) => logs.push(message),
    });
    sandbox.onLifecycle((event) => events.push(event));
    await sandbox.start();
  });
  afterAll(() => sandbox?.shutdown());

  it('stops an execution whose forged output lines pass the output cap, and keeps its state', async () => {
    await sandbox.execute({ context: 'root', code: 'kept = "yes"' });
    const restarts = sandbox.stats().restarts;
    // 40 forged 1 MB lines: ten times the cap, each far below the line limit.
    const { result, forwarded } = await runCounting(sandbox, forgedOutputLines(40, MB));
    expect(result.error?.type).toBe('SandboxLimitExceeded');
    expect(result.error?.message).toContain('output limit of 4 MB reached; the execution was stopped');
    expect(result.final).toBeUndefined();
    expect(forwarded).toBeLessThanOrEqual(LIVE_CAP + 1000);
    expect(sandbox.stats().restarts).toBe(restarts); // stopped by an interrupt, not a restart
    expect((await sandbox.execute({ context: 'root', code: 'kept' })).stdout).toBe("'yes'\n");
  });

  it('truncates live output at the live cap with one notice, below the hard cap', async () => {
    // 3 MB of real prints: under the 4 MB cap, so the code finishes; live output stops at 1 MB.
    const { result, forwarded } = await runCounting(
      sandbox,
      'for _ in range(3 * 1024):\n    print("x" * 1023)',
    );
    expect(result.error).toBeUndefined();
    expect(forwarded).toBeLessThanOrEqual(LIVE_CAP + 1000);
    expect(forwarded).toBeGreaterThan(LIVE_CAP / 2);
    expect(result.stdoutChars).toBe(3 * MB);
  });

  it('drops a protocol line longer than the line cap and restarts the runtime', async () => {
    await sandbox.execute({ context: 'root', code: 'lost = 1' });
    const code = [
      ...GRAB_DRIVER,
      'd.transport.send(json.dumps({"type": "output", "id": me, "stream": "stdout", "text": "B" * (10 << 20)}))',
      'import time',
      'time.sleep(30)',
    ].join('\n');
    const { result, forwarded } = await runCounting(sandbox, code, { timeoutMs: 60_000 });
    expect(result.error?.type).toBe('SandboxRestarted');
    expect(result.error?.message).toContain('larger than 8 MB');
    expect(result.stateLost).toBe(true);
    expect(forwarded).toBe(0);
    expect(events.at(-1)?.type).toBe('restarted');
    const next = await sandbox.execute({ context: 'root', code: 'lost' });
    expect(next.error?.type).toBe('NameError');
    expect((await sandbox.execute({ context: 'root', code: '6 * 7' })).stdout).toBe('42\n');
  });

  it('stops an execution that makes more host calls than the call cap', async () => {
    let calls = 0;
    const { result } = await runCounting(sandbox, 'for _ in range(5000):\n    llm_query("q")', {
      onCall: async () => {
        calls++;
        return 'a';
      },
    });
    expect(result.error?.type).toBe('SandboxLimitExceeded');
    expect(result.error?.message).toContain('host-call limit of 500 calls reached');
    expect(calls).toBeLessThanOrEqual(500);
  });

  it('truncates a forged result that carries more than maxOutputChars', async () => {
    const code = [
      ...GRAB_DRIVER,
      'd.send({"type": "result", "id": me, "stdout": "S" * 3_000_000, "stderr": "", "stdout_chars": 3_000_000,',
      '        "stderr_chars": 0, "duration_ms": 1})',
    ].join('\n');
    const { result } = await runCounting(sandbox, code, { maxOutputChars: 1000 });
    expect(result.stdout.length).toBeLessThan(1200);
    expect(result.stdout).toContain('characters omitted');
  });
});

describe.each(['auto', 'off'] as const)(
  'process sandbox (bubblewrap: %s): floods below Python and work left behind',
  (bubblewrap) => {
    let sandbox: Sandbox;
    const logs: string[] = [];
    const events: SandboxLifecycleEvent[] = [];

    beforeAll(async () => {
      sandbox = await createSandbox({
        provider: 'process',
        bubblewrap,
        maxOutputBytes: 16 * MB,
        log: (message) => logs.push(message),
      });
      sandbox.onLifecycle((event) => events.push(event));
      await sandbox.start();
    });
    afterAll(() => sandbox?.shutdown());

    it('stops a 200 MB os.write flood on fd 2 at the 16 MB cap and forwards at most the live cap', async () => {
      await sandbox.execute({ context: 'root', code: 'kept = "yes"' });
      const { result, forwarded } = await runCounting(
        sandbox,
        'import os\nchunk = b"x" * (1 << 20)\nfor _ in range(200):\n    os.write(2, chunk)',
      );
      expect(result.error?.type).toBe('SandboxLimitExceeded');
      expect(result.error?.message).toContain('output limit of 16 MB reached; the execution was stopped');
      expect(forwarded).toBeLessThanOrEqual(LIVE_CAP + 1000);
      expect(result.stderr.length).toBeLessThan(20_000);
      expect((await sandbox.execute({ context: 'root', code: 'kept' })).stdout).toBe("'yes'\n");
    });

    it('restarts the runtime when code leaves a thread running, before the next execution runs', async () => {
      const code = [
        'import os, threading, time',
        'def tick():',
        '    while True:',
        '        os.write(2, b"tick\\n")',
        '        time.sleep(0.005)',
        'threading.Thread(target=tick, daemon=True).start()',
        'print("started")',
      ].join('\n');
      const { result } = await runCounting(sandbox, code);
      expect(result.error).toBeUndefined();
      expect(result.stdout).toBe('started\n');
      expect(result.stateLost).toBe(true);
      expect(result.stderr).toContain('left 1 thread running');
      expect(events.at(-1)?.type).toBe('restarted');
      const after = await sandbox.execute({
        context: 'root',
        code: 'import threading, time\ntime.sleep(0.1)\nprint(threading.active_count())',
      });
      expect(after.stdout).toBe('1\n');
      expect(after.stderr).not.toContain('tick');
    });

    it('restarts the runtime when code leaves a child process running, and the child is gone', async () => {
      const { result } = await runCounting(
        sandbox,
        'import subprocess\np = subprocess.Popen(["sleep", "371"])\nprint(p.pid > 0)',
      );
      expect(result.stdout).toBe('True\n');
      expect(result.stateLost).toBe(true);
      expect(result.stderr).toContain('left 1 child process running');
      // Gone before the next execution runs.
      expect((await sandbox.execute({ context: 'root', code: 'print("next")' })).stdout).toBe('next\n');
      const sleeping = [...descendantProcesses().values()].filter((command) => command.includes('371'));
      expect(sleeping).toEqual([]);
    });

    it('does not restart for a child process that already finished', async () => {
      await sandbox.execute({ context: 'root', code: 'kept_too = 1' });
      const { result } = await runCounting(
        sandbox,
        'import subprocess\nsubprocess.run(["true"])\np = subprocess.Popen(["true"])\nimport time\ntime.sleep(0.2)',
      );
      expect(result.error).toBeUndefined();
      expect(result.stateLost).toBeUndefined();
      expect((await sandbox.execute({ context: 'root', code: 'kept_too' })).stdout).toBe('1\n');
    });

    it('restarts a runtime that floods while no execution runs, and logs only a little of it', async () => {
      const restarts = sandbox.stats().restarts;
      const logged = logs.length;
      // A forged result ends the execution for the host while the code keeps writing.
      const code = [
        ...GRAB_DRIVER,
        'd.send({"type": "result", "id": me, "stdout": "", "stderr": "", "stdout_chars": 0,',
        '        "stderr_chars": 0, "duration_ms": 1})',
        'import os',
        'for _ in range(400):',
        '    os.write(2, b"z" * 65536)',
      ].join('\n');
      const { result } = await runCounting(sandbox, code);
      expect(result.error).toBeUndefined();
      const deadline = performance.now() + 20_000;
      while (sandbox.stats().restarts === restarts && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(sandbox.stats().restarts).toBe(restarts + 1);
      const newLogs = logs.slice(logged);
      expect(newLogs.length).toBeLessThan(10);
      expect(newLogs.join('').length).toBeLessThan(20_000);
      const next = await sandbox.execute({ context: 'root', code: 'print("fresh")' });
      expect(next.stdout).toBe('fresh\n');
      expect(next.stateLost).toBe(true);
      expect(next.stderr).toContain('while no code was running');
    });
  },
);

describe('pyodide sandbox: threads and backpressure', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ provider: 'pyodide', cacheDir: TEST_CACHE_DIR, maxOutputBytes: 4 * MB });
    await sandbox.start();
  });

  it('cannot post lines faster than the host reads them, so a flood never piles up in the host', async () => {
    const code = [
      ...GRAB_DRIVER,
      'line = json.dumps({"type": "output", "id": me, "stream": "stdout", "text": "A" * (8 << 20)})',
      'sent = 0',
      'try:',
      '    for _ in range(40):',
      '        d.transport.send(line)',
      '        sent += 1',
      'except KeyboardInterrupt:',
      '    pass',
    ].join('\n');
    const running = runCounting(sandbox, code);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the code is running
    // A host busy elsewhere (other sessions, a slow handler) reads nothing for a while.
    const busyUntil = performance.now() + 1500;
    while (performance.now() < busyUntil);
    const { result } = await running;
    expect(result.error?.type).toBe('SandboxLimitExceeded');
    // The worker posts two lines, then waits for the host; by the time it may post again the
    // stop is on its way (Python notices it a few statements later).
    const sent = Number((await sandbox.execute({ context: 'root', code: 'sent' })).stdout);
    expect(sent).toBeLessThanOrEqual(8);
  });
  afterAll(() => sandbox?.shutdown());

  it('cannot start a thread at all, so nothing can outlive an execution', async () => {
    const result = await sandbox.execute({
      context: 'root',
      code: 'import threading\nthreading.Thread(target=lambda: None).start()',
    });
    expect(result.error?.type).toBe('RuntimeError');
    expect(result.error?.message).toMatch(/can't start new thread/);
  });
});
