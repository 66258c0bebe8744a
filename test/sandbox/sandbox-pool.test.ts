/**
 * SandboxPool over real sandboxes (the process provider, which starts in ~0.1 s; Pyodide for the
 * state a destroyed sandbox must not pass on).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSandbox, type SandboxSettings } from '../../src/sandbox/create-sandbox.js';
import type { Sandbox, SandboxLifecycleEvent } from '../../src/sandbox/sandbox.js';
import { SandboxPool, type SandboxPoolOptions } from '../../src/sandbox/sandbox-pool.js';
import { TEST_CACHE_DIR } from './support.js';

/** Every sandbox the pool creates and every lifecycle event they emit, to await on. */
class Fleet {
  readonly sandboxes: Sandbox[] = [];
  readonly events: SandboxLifecycleEvent[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(private readonly settings: Partial<SandboxSettings> = {}) {}

  readonly create = async (): Promise<Sandbox> => {
    const sandbox = await createSandbox({ provider: 'process', ...this.settings } as SandboxSettings);
    sandbox.onLifecycle((event) => {
      this.events.push(event);
      for (const check of this.waiting) check();
    });
    this.sandboxes.push(sandbox);
    return sandbox;
  };

  count(type: SandboxLifecycleEvent['type']): number {
    return this.events.filter((event) => event.type === type).length;
  }

  /** Resolves once `count` events of `type` have been emitted in all. */
  until(type: SandboxLifecycleEvent['type'], count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.count(type) < count) return;
        this.waiting.delete(check);
        resolve();
      };
      this.waiting.add(check);
      check();
    });
  }
}

const pools: SandboxPool[] = [];
function makePool(fleet: Fleet, options: Partial<SandboxPoolOptions> = {}): SandboxPool {
  const pool = new SandboxPool({
    create: fleet.create,
    warm: 0,
    maxLive: 2,
    idleTimeoutMs: 60_000,
    ...options,
  });
  pools.push(pool);
  return pool;
}

/** True when `promise` is still pending once everything already under way has had its turn. */
async function isPending(promise: Promise<unknown>, withinMs = 300): Promise<boolean> {
  const marker = Symbol('pending');
  const outcome = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise((resolve) => setTimeout(resolve, withinMs, marker)),
  ]);
  return outcome === marker;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.shutdown()));
});

describe('SandboxPool', () => {
  it('warms up in the background, so acquire hands out a started sandbox at once', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { warm: 1 });
    pool.warmUp();
    expect(pool.stats()).toMatchObject({ starting: 1, live: 1, idle: 0 });
    await fleet.until('ready', 1);
    // The pool books the sandbox as idle a few microtasks after it reported ready.
    await vi.waitFor(() => expect(pool.stats()).toMatchObject({ starting: 0, idle: 1, live: 1 }));

    const started = performance.now();
    const sandbox = await pool.acquire();
    expect(performance.now() - started).toBeLessThan(20);
    expect(sandbox).toBe(fleet.sandboxes[0]);
    const executed = performance.now();
    expect((await sandbox.execute({ context: 'root', code: '1 + 1' })).stdout).toBe('2\n');
    expect(performance.now() - executed).toBeLessThan(100); // already started: no cold start here

    // The warm pool refills behind the lease.
    await fleet.until('ready', 2);
    await vi.waitFor(() => expect(pool.stats()).toMatchObject({ idle: 1, leased: 1, live: 2, cap: 2 }));
  });

  it('caps live sandboxes: the next acquire waits for a free slot, first come first served', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { maxLive: 2 });
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect(pool.stats()).toMatchObject({ leased: 2, live: 2 });

    const third = pool.acquire();
    const fourth = pool.acquire();
    expect(await isPending(third)).toBe(true);
    expect(pool.stats()).toMatchObject({ waiting: 2 });
    expect(fleet.sandboxes).toHaveLength(2);

    await pool.destroy(second);
    const thirdSandbox = await third;
    expect(thirdSandbox).not.toBe(second); // a fresh one in the freed slot
    expect(second.alive).toBe(false);
    expect(await isPending(fourth, 50)).toBe(true);
    await pool.destroy(first);
    expect([first, second, thirdSandbox]).not.toContain(await fourth);
    expect(pool.stats()).toMatchObject({ leased: 2, live: 2, idle: 0, waiting: 0 });
  });

  it('tells a caller that waits for a slot its place in line, and not one a sandbox is starting for', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { maxLive: 2 });
    const heard: Array<[string, unknown]> = [];
    const listen = (who: string) => (wait: unknown) => heard.push([who, wait]);
    const first = await pool.acquire(undefined, listen('first'));
    const starting = pool.acquire(undefined, listen('starting')); // under the cap: started for it
    const behind = pool.acquire(undefined, listen('behind'));
    const last = pool.acquire(undefined, listen('last'));
    expect(heard).toEqual([
      ['behind', { position: 1, inUse: 2, cap: 2 }],
      ['last', { position: 2, inUse: 2, cap: 2 }],
    ]);
    await pool.destroy(first);
    await pool.destroy(await starting);
    await Promise.all([behind, last]);
    expect(heard).toHaveLength(2); // told once, when it began to wait
  });

  it('rejects a waiting acquire when its signal aborts, and keeps the queue in order', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { maxLive: 1 });
    const only = await pool.acquire();
    const controller = new AbortController();
    const abandoned = pool.acquire(controller.signal);
    const patient = pool.acquire();
    controller.abort(new Error('caller gave up'));
    await expect(abandoned).rejects.toThrow('caller gave up');
    await expect(pool.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');

    await pool.destroy(only);
    expect((await patient).alive).toBe(true);
    expect(pool.stats()).toMatchObject({ leased: 1, live: 1 });
  });

  it('tryAcquire gives a sandbox while under the cap and undefined at the cap', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { maxLive: 2 });
    await pool.acquire();
    const lent = pool.tryAcquire();
    expect(lent).toBeDefined();
    const borrowed = await lent!;
    expect(pool.tryAcquire()).toBeUndefined();
    await pool.destroy(borrowed);
    const again = await pool.tryAcquire()!; // the slot is free again: a fresh sandbox
    expect(again).not.toBe(borrowed);
    expect(borrowed.alive).toBe(false);
  });

  it.each(['process', 'pyodide'] as const)(
    'never hands a used %s sandbox on: whatever its code changed is gone with it',
    async (provider) => {
      const fleet = new Fleet({ provider, cacheDir: TEST_CACHE_DIR });
      const pool = makePool(fleet, { maxLive: 1, warm: 1 });
      const sandbox = await pool.acquire();
      await sandbox.execute({
        context: 'root',
        code: 'import builtins, sys\nbuiltins.planted = "from the last session"\nsys.modules["json"].dumps = None',
      });
      await pool.destroy(sandbox);
      expect(sandbox.alive).toBe(false);

      const next = await pool.acquire();
      expect(next).not.toBe(sandbox);
      const probe = await next.execute({
        context: 'root',
        code: 'import builtins, json\nprint(hasattr(builtins, "planted"), json.dumps is None)',
      });
      expect(probe.stdout).toBe('False False\n');
      expect(fleet.sandboxes).toHaveLength(2);
    },
  );

  it('interrupts code the last lessee left running and shuts the sandbox down', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { maxLive: 1 });
    const sandbox = await pool.acquire();
    const abandoned = sandbox.execute({ context: 'root', code: 'while True:\n    pass', timeoutMs: 60_000 });
    await pool.destroy(sandbox);
    expect((await abandoned).error).toBeDefined();
    expect(sandbox.alive).toBe(false);
    expect(pool.stats()).toMatchObject({ idle: 0, leased: 0, live: 0 });
  });

  it('asks its reclaimer for an unused lease when a caller has to wait, and serves the caller at once', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { maxLive: 1 });
    const held = await pool.acquire(); // leased, but (say) its session is idle
    let asked = 0;
    pool.setReclaimer(async () => {
      asked++;
      if (!held.alive) return false;
      await pool.destroy(held);
      return true;
    });
    const waiter = await pool.acquire();
    expect(asked).toBe(1);
    expect(waiter).not.toBe(held);
    expect(held.alive).toBe(false);
    expect(pool.stats()).toMatchObject({ leased: 1, live: 1, waiting: 0 });
  });

  it('shuts down idle sandboxes beyond the warm pool after the idle timeout', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { warm: 1, maxLive: 3, idleTimeoutMs: 300 });
    // Two callers give up while their sandboxes start: those end up idle beside the warm one.
    const controllers = [new AbortController(), new AbortController()];
    const abandoned = controllers.map((controller) => pool.acquire(controller.signal));
    for (const controller of controllers) controller.abort(new Error('gave up'));
    await Promise.allSettled(abandoned);
    await vi.waitFor(() => expect(pool.stats()).toMatchObject({ idle: 3, live: 3 }));

    await fleet.until('stopped', 2);
    expect(fleet.sandboxes.filter((sandbox) => sandbox.alive)).toHaveLength(1);
    // Every idle timer has fired by now; the warm one stays.
    expect(await isPending(fleet.until('stopped', 3), 600)).toBe(true);
    expect(pool.stats()).toMatchObject({ idle: 1, live: 1 });
    const again = await pool.acquire();
    expect(again.alive).toBe(true);
  });

  it('shuts down a released sandbox that is no longer alive instead of reusing it', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { maxLive: 1 });
    const broken = await pool.acquire();
    await broken.shutdown();
    await pool.destroy(broken);
    expect(pool.stats()).toMatchObject({ idle: 0, leased: 0, live: 0 });
    const fresh = await pool.acquire();
    expect(fresh).not.toBe(broken);
    expect((await fresh.execute({ context: 'root', code: '3 * 3' })).stdout).toBe('9\n');
  });

  it('frees the slot of a sandbox that failed to start, and tells the waiting caller why', async () => {
    const fleet = new Fleet({ python: '/nonexistent/python3' });
    const pool = makePool(fleet, { maxLive: 1 });
    await expect(pool.acquire()).rejects.toThrow(/nonexistent/);
    expect(pool.stats()).toMatchObject({ starting: 0, live: 0 });
    expect(fleet.sandboxes[0]?.alive).toBe(false);
    // The slot is free to try again; a caller queued behind a failed start is not left hanging.
    const outcomes = await Promise.allSettled([pool.acquire(), pool.acquire()]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(pool.stats()).toMatchObject({ starting: 0, live: 0 });
    expect(fleet.sandboxes.every((sandbox) => !sandbox.alive)).toBe(true);
  });

  it('shutdown stops every sandbox and rejects waiting and later callers', async () => {
    const fleet = new Fleet();
    const pool = makePool(fleet, { warm: 1, maxLive: 2 });
    const leased = await pool.acquire();
    const second = await pool.acquire();
    const waiting = pool.acquire();
    await pool.destroy(second);
    await waiting; // a fresh one in second's slot
    const blocked = expect(pool.acquire()).rejects.toThrow('shut down');
    await pool.shutdown();
    await blocked;
    await expect(pool.acquire()).rejects.toThrow('shut down');
    expect(pool.tryAcquire()).toBeUndefined();
    expect(fleet.sandboxes.every((sandbox) => !sandbox.alive)).toBe(true);
    expect(pool.stats()).toMatchObject({ idle: 0, leased: 0, starting: 0, live: 0 });
    await pool.destroy(leased); // harmless after shutdown
  });
});
