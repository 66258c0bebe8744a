/**
 * Facts of the `process` provider only: a private protocol stream, a private working
 * directory with a minimal environment, bubblewrap isolation when it works here, and recovery
 * from a killed interpreter.
 */
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import { bubblewrapUsable } from '../../src/sandbox/process/bubblewrap.js';
import type { Sandbox, SandboxLifecycleEvent } from '../../src/sandbox/sandbox.js';
import { descendantProcesses, driverPids, type LoopbackServer, startLoopbackServer } from './support.js';

const SECRET = 'sk-planted-123';
const isolated = await bubblewrapUsable();

describe.each(['auto', 'off'] as const)('process sandbox (bubblewrap: %s)', (bubblewrap) => {
  let sandbox: Sandbox;
  let server: LoopbackServer;
  const events: SandboxLifecycleEvent[] = [];

  beforeAll(async () => {
    process.env.FLEET_TEST_SECRET = SECRET;
    server = await startLoopbackServer();
    sandbox = await createSandbox({ provider: 'process', bubblewrap });
    sandbox.onLifecycle((event) => events.push(event));
    await sandbox.start();
  });
  afterAll(async () => {
    await sandbox?.shutdown();
    await server?.close();
    delete process.env.FLEET_TEST_SECRET;
  });

  it('keeps the protocol intact when code writes to fd 1 or reads stdin', async () => {
    const forged = JSON.stringify({ type: 'result', id: 'e1', stdout: 'forged', stderr: '' });
    const result = await sandbox.execute({
      context: 'root',
      code: [
        'import os, sys',
        `os.write(1, ${JSON.stringify(`${forged}\n`)}.encode())`,
        'os.write(1, b"raw bytes on fd 1\\n")',
        'print(repr(sys.stdin.read()), repr(os.read(0, 100)))',
        'try:',
        '    input()',
        'except EOFError:',
        '    print("EOF")',
        'SUBMIT(answer="real")',
      ].join('\n'),
    });
    expect(result.error).toBeUndefined();
    expect(result.final).toEqual({ answer: 'real' });
    expect(result.stdout).toBe("'' b''\nEOF\n");
    expect((await sandbox.execute({ context: 'root', code: '1 + 1' })).stdout).toBe('2\n');
  });

  it('runs in a private temp directory with a minimal environment', async () => {
    const result = await sandbox.execute({
      context: 'root',
      code: 'import os, json\nprint(json.dumps({"cwd": os.getcwd(), "env": dict(os.environ)}))',
    });
    const seen = JSON.parse(result.stdout) as { cwd: string; env: Record<string, string> };
    expect(seen.cwd.startsWith(`${tmpdir()}/fleet-rlm-sbx-`)).toBe(true);
    expect(seen.env.HOME).toBe(seen.cwd);
    if (seen.env.PWD !== undefined) expect(seen.env.PWD).toBe(seen.cwd); // bwrap --chdir sets it
    expect(seen.env.FLEET_TEST_SECRET).toBeUndefined();
    expect(JSON.stringify(seen.env)).not.toContain(SECRET);
    const allowed = [
      'PATH',
      'HOME',
      'TMPDIR',
      'LANG',
      'PYTHONIOENCODING',
      'PYTHONDONTWRITEBYTECODE',
      'PYTHONNOUSERSITE',
      'PWD',
    ];
    // LC_CTYPE is set by the interpreter itself (PEP 538 locale coercion).
    for (const name of Object.keys(seen.env)) expect([...allowed, 'LC_CTYPE']).toContain(name);
  });

  // Only where bubblewrap is used: skipped (not absent) when bwrap does not work on this machine.
  const bubblewrapBlock = bubblewrap === 'auto' ? describe.skipIf(!isolated) : () => {};
  bubblewrapBlock('under bubblewrap', () => {
    it('has no network: a loopback server gets no connection', async () => {
      const result = await sandbox.execute({
        context: 'root',
        code: [
          'import socket, urllib.request',
          'outcomes = []',
          'for attempt in (',
          `    lambda: socket.create_connection(("127.0.0.1", ${server.port}), timeout=3),`,
          `    lambda: urllib.request.urlopen("http://127.0.0.1:${server.port}/", timeout=3),`,
          '):',
          '    try:',
          '        attempt()',
          '        outcomes.append("connected")',
          '    except OSError as error:',
          '        outcomes.append(type(error).__name__)',
          'print(outcomes)',
        ].join('\n'),
      });
      expect(result.stdout).toBe("['ConnectionRefusedError', 'URLError']\n");
      expect(server.hits()).toBe(0);
    });

    it('sees no host files outside the allowed roots, and cannot write to the system', async () => {
      const thisFile = fileURLToPath(import.meta.url);
      const result = await sandbox.execute({
        context: 'root',
        code: [
          'import os',
          'def attempt(fn):',
          '    try:',
          '        fn()',
          '        return "ok"',
          '    except OSError as error:',
          '        return type(error).__name__',
          `print(attempt(lambda: open(${JSON.stringify(thisFile)}).read()), attempt(lambda: open("/etc/passwd").read()),`,
          `      attempt(lambda: open("/usr/fleet-rlm-probe", "w")), attempt(lambda: os.listdir(${JSON.stringify(dirname(thisFile))})),`,
          '      attempt(lambda: open("scratch.txt", "w").write("mine")))',
        ].join('\n'),
      });
      expect(result.stdout).toBe('FileNotFoundError FileNotFoundError OSError FileNotFoundError ok\n');
    });
  });

  it('interrupts runaway code with SIGINT and keeps its state', async () => {
    await sandbox.execute({ context: 'root', code: 'kept = "yes"' });
    const result = await sandbox.execute({ context: 'root', code: 'while True:\n    pass', timeoutMs: 200 });
    expect(result.error?.type).toBe('TimeoutError');
    expect(result.stateLost).toBeUndefined();
    expect((await sandbox.execute({ context: 'root', code: 'kept' })).stdout).toBe("'yes'\n");
  });

  it('repeats an interrupt that landed before the code started (a starved interpreter)', async () => {
    await sandbox.execute({ context: 'root', code: 'kept_through = "yes"' });
    const [pid] = driverPids();
    // Stopped, the interpreter is still reading the execute line when its SIGINT arrives, and
    // the driver drops a signal that comes while no user code runs (it would be stale).
    process.kill(pid!, 'SIGSTOP');
    const pending = sandbox.execute({ context: 'root', code: 'while True:\n    pass', timeoutMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the timeout fires while it is stopped
    process.kill(pid!, 'SIGCONT');
    const result = await pending;
    expect(result.error?.type).toBe('TimeoutError');
    expect(result.stateLost).toBeUndefined(); // stopped by a repeated interrupt, not the watchdog
    expect((await sandbox.execute({ context: 'root', code: 'kept_through' })).stdout).toBe("'yes'\n");
  });

  it('leaves no interpreter behind when shut down while it starts', async () => {
    const before = [...descendantProcesses().keys()];
    const other = await createSandbox({ provider: 'process', bubblewrap });
    const starting = other.start();
    const outcome = expect(starting).rejects.toThrow(/shut down/);
    await other.shutdown();
    expect([...descendantProcesses().keys()]).toEqual(before); // gone by the time shutdown resolves
    await outcome;
  });

  it('reports a killed interpreter as lost state and starts a fresh one', async () => {
    await sandbox.execute({ context: 'root', code: 'before_kill = 1' });
    const [pid] = driverPids();
    expect(pid).toBeDefined();
    let running!: () => void;
    const callMade = new Promise<void>((resolve) => {
      running = resolve;
    });
    const pending = sandbox.execute({
      context: 'root',
      code: 'llm_query("now")\nwhile True:\n    pass',
      timeoutMs: 30_000,
      onCall: async () => {
        running();
        return 'go';
      },
    });
    await callMade;
    process.kill(pid!, 'SIGKILL');
    const result = await pending;
    expect(result.stateLost).toBe(true);
    expect(result.error?.type).toBe('SandboxRestarted');
    expect(result.error?.message).toContain('SIGKILL');
    expect(events.at(-1)?.type).toBe('restarted');

    const next = await sandbox.execute({ context: 'root', code: 'before_kill' });
    expect(next.error?.type).toBe('NameError');
    expect((await sandbox.execute({ context: 'root', code: '6 * 7' })).stdout).toBe('42\n');
    expect(driverPids()).not.toContain(pid);
  });
});
