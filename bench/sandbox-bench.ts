/**
 * Sandbox benchmarks: (a) execute round trip, (b) bridge callback round trip, (c) loading 10 MB
 * and 100 MB contexts, (f) time until a new session's sandbox is ready. Pyodide is measured
 * against the CPython process sandbox in the same run.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type SandboxSettings } from '../src/sandbox/create-sandbox.js';
import type { Sandbox, SandboxProvider } from '../src/sandbox/sandbox.js';
import { SandboxPool } from '../src/sandbox/sandbox-pool.js';
import { type Figure, mb, median, ms, peakRssBytes, percentile, resetPeakRss } from './stats.js';

const cacheDir = join(tmpdir(), 'fleet-rlm-bench-cache');
const settings = (provider: SandboxProvider): SandboxSettings => ({
  provider,
  cacheDir,
  memoryLimitMb: 2048,
});

async function started(provider: SandboxProvider): Promise<Sandbox> {
  const sandbox = await createSandbox(settings(provider));
  await sandbox.start();
  return sandbox;
}

export async function benchExecute(figures: Figure[]): Promise<void> {
  const medians: Record<string, number> = {};
  for (const provider of ['pyodide', 'process'] as const) {
    const sandbox = await started(provider);
    for (let i = 0; i < 100; i++) await sandbox.execute({ context: 'root', code: 'x = 1 + 1' });
    const samples: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const start = performance.now();
      await sandbox.execute({ context: 'root', code: 'x = 1 + 1' });
      samples.push(performance.now() - start);
    }
    medians[provider] = median(samples);
    figures.push({
      bench: '(a) execute round trip',
      figure: `${provider} median / p99 (1000)`,
      value: `${ms(median(samples))} / ${ms(percentile(samples, 99))}`,
      ...(provider === 'pyodide' ? { target: '≤ 1 ms median', ok: median(samples) <= 1 } : {}),
    });
    await sandbox.shutdown();
  }
  figures.push({
    bench: '(a) execute round trip',
    figure: 'pyodide / process',
    value: `${(medians.pyodide! / medians.process!).toFixed(2)}×`,
  });
}

export async function benchBridge(figures: Figure[]): Promise<void> {
  const code = `import time
samples = []
for _ in range(1000):
    t = time.perf_counter_ns()
    ping()
    samples.append(time.perf_counter_ns() - t)
samples.sort()
SUBMIT(median=samples[500] / 1e6, p99=samples[989] / 1e6)`;
  for (const provider of ['pyodide', 'process'] as const) {
    const sandbox = await started(provider);
    await sandbox.registerTools([{ name: 'ping', params: [] }]);
    const onCall = async () => null;
    await sandbox.execute({ context: 'root', code: 'for _ in range(100): ping()', onCall });
    const result = await sandbox.execute({ context: 'root', code, onCall });
    const { median: med, p99 } = result.final as { median: number; p99: number };
    figures.push({
      bench: '(b) bridge callback',
      figure: `${provider} median / p99 (1000, from Python)`,
      value: `${ms(med)} / ${ms(p99)}`,
      ...(provider === 'pyodide' ? { target: '≤ 0.15 ms', ok: med <= 0.15 } : {}),
    });
    await sandbox.shutdown();
  }
}

function makeContext(bytes: number): string {
  const line =
    'INFO 2026-11-25T10:00:00Z request handled path=/api/v1/items status=200 latency=12ms région=été\n';
  return line.repeat(Math.ceil(bytes / Buffer.byteLength(line))).slice(0, bytes);
}

export async function benchContextLoad(figures: Figure[]): Promise<void> {
  for (const size of [10, 100]) {
    const text = makeContext(size * 1024 * 1024);
    for (const provider of ['pyodide', 'process'] as const) {
      const sandbox = await started(provider);
      await sandbox.execute({ context: 'root', code: 'import resource, sys' });
      global.gc?.();
      const canReset = resetPeakRss();
      const before = process.memoryUsage().rss;
      const start = performance.now();
      await sandbox.setVariable('root', 'context', text);
      const check = await sandbox.execute({ context: 'root', code: 'len(context)' });
      const elapsed = performance.now() - start;
      const peak = canReset ? peakRssBytes() : process.memoryUsage().rss;
      const added = peak - before;
      let child = '';
      if (provider === 'process') {
        const rss = await sandbox.execute({
          context: 'root',
          code: 'resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024',
        });
        child = `, child peak RSS ${mb(Number(rss.stdout.trim()))}`;
      }
      const ok = check.stdout.trim() === String(text.length);
      figures.push({
        bench: '(c) context load',
        figure: `${size} MB ${provider}: time / host peak RSS added`,
        value: `${ms(elapsed)} / ${mb(added)} (${(added / (size * 1024 * 1024)).toFixed(1)}× size${child})${ok ? '' : ' WRONG LENGTH'}`,
        ...(size === 100 && provider === 'pyodide'
          ? { target: '≤ 0.5 s, ≤ 4× size', ok: ok && elapsed <= 500 && added <= 4 * size * 1024 * 1024 }
          : {}),
      });
      await sandbox.shutdown();
    }
  }
}

export async function benchSessionReady(figures: Figure[]): Promise<void> {
  const pool = new SandboxPool({
    create: () => createSandbox(settings('pyodide')),
    warm: 1,
    maxLive: 2,
    idleTimeoutMs: 60_000,
  });
  pool.warmUp();
  while (pool.stats().idle < 1) await new Promise((resolve) => setTimeout(resolve, 20));
  let start = performance.now();
  const lease = await pool.acquire();
  await lease.execute({ context: 'root', code: 'x = 1' });
  const warm = performance.now() - start;
  await pool.destroy(lease);
  await pool.shutdown();
  figures.push({
    bench: '(f) session sandbox ready',
    figure: 'pyodide from the warm pool (+ first execute)',
    value: ms(warm),
    target: '≤ 50 ms',
    ok: warm <= 50,
  });
  for (const [label, options] of [
    ['pyodide cold, memory snapshot', settings('pyodide')],
    ['pyodide cold, no snapshot', { provider: 'pyodide' as const }],
    ['process cold', settings('process')],
  ] as const) {
    start = performance.now();
    const sandbox = await createSandbox(options);
    await sandbox.execute({ context: 'root', code: 'x = 1' });
    const cold = performance.now() - start;
    await sandbox.shutdown();
    figures.push({
      bench: '(f) session sandbox ready',
      figure: `${label} (+ first execute)`,
      value: ms(cold),
      ...(label === 'pyodide cold, memory snapshot' ? { target: '≤ 1 s', ok: cold <= 1000 } : {}),
    });
  }
}
