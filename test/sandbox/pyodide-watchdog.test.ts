/**
 * The watchdog: Python stuck in a C loop never sees the interrupt, so after the grace period
 * the worker is terminated and a fresh one started. Every namespace is lost, and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { Sandbox, SandboxLifecycleEvent } from '../../src/sandbox/sandbox.js';
import { TEST_CACHE_DIR } from './support.js';

describe('pyodide watchdog', () => {
  let sandbox: Sandbox;
  const events: SandboxLifecycleEvent[] = [];

  beforeAll(async () => {
    sandbox = await createSandbox({ provider: 'pyodide', cacheDir: TEST_CACHE_DIR, interruptGraceMs: 200 });
    sandbox.onLifecycle((event) => events.push(event));
    await sandbox.start();
  });
  afterAll(() => sandbox?.shutdown());

  it('restarts a worker stuck in C code, reports the lost state, and works again', async () => {
    await sandbox.registerTools([{ name: 'lookup', params: ['key'] }]);
    await sandbox.execute({ context: 'root', code: 'before = "set"' });
    const restarted = new Promise<Extract<SandboxLifecycleEvent, { type: 'restarted' }>>((resolve) => {
      const stop = sandbox.onLifecycle((event) => {
        if (event.type === 'restarted') {
          stop();
          resolve(event);
        }
      });
    });

    const started = performance.now();
    // sum() over a range runs in C and never checks for signals.
    const stuck = sandbox.execute({ context: 'root', code: 'sum(range(10**13))', timeoutMs: 200 });
    // Queued behind the stuck code: it must run on the fresh worker, not hang.
    const queued = sandbox.execute({ context: 'other', code: 'print("ran after the restart")' });
    const result = await stuck;
    const elapsed = performance.now() - started;

    expect(result.stateLost).toBe(true);
    expect(result.error?.type).toBe('SandboxRestarted');
    expect(result.error?.message).toContain('ignored its interrupt');
    expect(result.interrupted).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(350); // the timeout and the grace period both passed
    expect(elapsed).toBeLessThan(5000);
    expect((await restarted).reason).toContain('ignored its interrupt');
    expect(sandbox.stats().restarts).toBe(1);

    const after = await queued;
    expect(after.error).toBeUndefined();
    expect(after.stdout).toBe('ran after the restart\n');

    const fresh = await sandbox.execute({ context: 'root', code: 'before' });
    expect(fresh.error?.type).toBe('NameError');
    const works = await sandbox.execute({
      context: 'root',
      code: 'print(sum(range(10**6)), lookup("k"))',
      onCall: async (call) => `${call.name}:${call.args.key}`,
    });
    expect(works.error).toBeUndefined();
    expect(works.stdout).toBe('499999500000 lookup:k\n'); // tools are registered again on the new worker
    expect(events.map((event) => event.type)).toEqual(['ready', 'restarted', 'ready']);
  });

  it('is hardened again after a restart', async () => {
    const result = await sandbox.execute({ context: 'root', code: 'import pyodide_js' });
    expect(result.error?.type).toBe('ModuleNotFoundError');
  });
});
