/**
 * The lifecycle of a local `mlflow server` child, with a fake `mlflow` executable so each case
 * takes milliseconds: ready on /health, the flags it is given, stop (idempotent, SIGKILL after
 * the grace period), every start failure with its hint, the auto-start rules, and no server left
 * behind when the parent dies — even by SIGKILL. The real server is covered by the other files.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowConfig } from '../../../src/config/config.js';
import { isPortOpen } from '../../../src/tracing/mlflow/is-port-open.js';
import { LocalMlflowError } from '../../../src/tracing/mlflow/local-mlflow-error.js';
import { maybeAutoStartMlflow, startLocalMlflow } from '../../../src/tracing/mlflow/local-mlflow-server.js';
import { freePort } from './support/mlflow-test-server.js';

const FAKE = resolve('test/tracing/mlflow/support/fake-mlflow.mjs');
const START_AND_WAIT = resolve('test/tracing/mlflow/support/start-and-wait.ts');
const hasProc = existsSync('/proc/self/cmdline');

let dir: string;
const fake: Record<'ok' | 'exit' | 'hang' | 'stubborn', string> = {
  ok: '',
  exit: '',
  hang: '',
  stubborn: '',
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-rlm-fake-mlflow-'));
  for (const mode of Object.keys(fake) as Array<keyof typeof fake>) {
    const path = join(dir, `mlflow-${mode}`);
    writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${FAKE}" ${mode} "$@"\n`);
    chmodSync(path, 0o755);
    fake[mode] = path;
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Pids whose command line mentions `marker` (our temp dirs are unique), Linux only. */
function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return check();
}

function storeIn(name: string): { storeDir: string; backendStoreUri: string } {
  const storeDir = join(dir, name, 'data');
  return { storeDir, backendStoreUri: `sqlite:///${join(storeDir, 'mlruns.db')}` };
}

describe('startLocalMlflow', () => {
  it('starts, waits for /health, passes the local flags, and stops idempotently', async () => {
    const port = await freePort();
    const { storeDir, backendStoreUri } = storeIn('start');
    const output: string[] = [];
    const server = await startLocalMlflow({
      command: fake.ok,
      port,
      backendStoreUri,
      onOutput: (text) => output.push(text),
    });
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    expect(server.pid).toBeGreaterThan(0);
    expect(await (await fetch(`${server.url}/health`)).text()).toBe('OK');
    const flags = output.join('');
    expect(flags).toContain(`server --host 127.0.0.1 --port ${port} --workers 1`);
    expect(flags).toContain(`--backend-store-uri ${backendStoreUri}`);
    expect(flags).toContain(`--artifacts-destination ${join(storeDir, 'mlartifacts')}`);
    expect(existsSync(join(storeDir, 'mlartifacts'))).toBe(true);
    expect(server.outputTail()).toContain('fake mlflow ok');

    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
    expect((await server.exited).signal).toBe('SIGTERM');
    if (hasProc) expect(processesMentioning(backendStoreUri)).toEqual([]);
  });

  it('kills a server that ignores SIGTERM once the grace period is over', async () => {
    const port = await freePort();
    const server = await startLocalMlflow({
      command: fake.stubborn,
      port,
      backendStoreUri: storeIn('stubborn').backendStoreUri,
      stopGraceMs: 300,
    });
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await server.exited).signal).toBe('SIGKILL');
    expect(server.outputTail()).toContain('ignoring SIGTERM');
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });

  it('refuses a port something already listens on', async () => {
    const port = await freePort();
    const first = await startLocalMlflow({
      command: fake.ok,
      port,
      backendStoreUri: storeIn('busy1').backendStoreUri,
    });
    try {
      const error = await startLocalMlflow({
        command: fake.ok,
        port,
        backendStoreUri: storeIn('busy2').backendStoreUri,
      }).catch((caught) => caught);
      expect(LocalMlflowError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ kind: 'port_in_use' });
      expect(error.message).toContain(`something already listens on http://127.0.0.1:${port}`);
    } finally {
      await first.stop();
    }
  });

  it('says how to install MLflow when the executable path does not exist', async () => {
    const error = await startLocalMlflow({
      command: join(dir, 'no-venv', 'bin', 'mlflow'),
      port: await freePort(),
      backendStoreUri: storeIn('missing').backendStoreUri,
    }).catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'not_installed' });
    expect(error.message).toContain('npm run setup:mlflow');
    expect(error.message).not.toContain('pip install');
  });

  it('says how to install MLflow when a bare command is not on PATH', async () => {
    const error = await startLocalMlflow({
      command: 'mlflow-not-on-path-fleet-rlm',
      port: await freePort(),
      backendStoreUri: storeIn('not-on-path').backendStoreUri,
    }).catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'not_installed' });
    expect(error.message).toContain('npm run setup:mlflow');
    expect(error.message).not.toContain('pip install');
    expect(error.message).toContain('MLFLOW_AUTO_START=false');
  });

  it('reports an early exit with the last lines of its output', async () => {
    const error = await startLocalMlflow({
      command: fake.exit,
      port: await freePort(),
      backendStoreUri: storeIn('exit').backendStoreUri,
    }).catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'exited' });
    expect(error.message).toContain('mlflow server exited with code 3 before it was ready');
    expect(error.outputTail).toContain('unable to open database file');
  });

  it('times out, with its output, and leaves no process behind', async () => {
    const { backendStoreUri } = storeIn('hang');
    const error = await startLocalMlflow({
      command: fake.hang,
      port: await freePort(),
      backendStoreUri,
      startTimeoutMs: 1000,
      stopGraceMs: 500,
    }).catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('did not answer');
    expect(error.outputTail).toContain('fake mlflow hang');
    if (hasProc)
      expect(await waitFor(() => processesMentioning(backendStoreUri).length === 0, 3000)).toBe(true);
  });

  it.skipIf(!hasProc)('does not outlive a parent killed with SIGKILL', async () => {
    const port = await freePort();
    const storeDir = join(dir, 'orphan');
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', START_AND_WAIT, fake.ok, String(port), storeDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((done, fail) => {
      parent.stdout.once('data', (chunk: Buffer) => done(chunk.toString()));
      parent.once('exit', (code) => fail(new Error(`the parent exited early with ${code}`)));
    });
    const { pid, url } = JSON.parse(line) as { pid: number; url: string };
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await isPortOpen('127.0.0.1', port)).toBe(true);
    expect(processesMentioning(storeDir)).toContain(pid);

    parent.kill('SIGKILL');
    expect(await waitFor(async () => !(await isPortOpen('127.0.0.1', port)), 5000)).toBe(true);
    expect(await waitFor(() => processesMentioning(storeDir).length === 0, 8000)).toBe(true);
  });
});

describe('maybeAutoStartMlflow', () => {
  function config(overrides: Partial<MlflowConfig>): MlflowConfig {
    return {
      enabled: true,
      trackingUri: 'http://127.0.0.1:1',
      experiment: 'fleet-rlm',
      autoStart: true,
      command: fake.ok,
      backendStoreUri: storeIn('auto').backendStoreUri,
      degradedRecheckMs: 5000,
      ...overrides,
    };
  }

  it('does nothing when MLflow or auto-start is off', async () => {
    expect(await maybeAutoStartMlflow(config({ enabled: false }))).toBeUndefined();
    expect(await maybeAutoStartMlflow(config({ autoStart: false }))).toBeUndefined();
  });

  it('does nothing for a tracking URI that is not loopback http', async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    expect(
      await maybeAutoStartMlflow(config({ trackingUri: 'http://mlflow.internal:5000' }), { log }),
    ).toBeUndefined();
    expect(
      await maybeAutoStartMlflow(config({ trackingUri: 'https://127.0.0.1:5443' }), { log }),
    ).toBeUndefined();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('is not a loopback http URI');
  });

  it('starts one on the URI port when nothing answers, and leaves a running one alone', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const settings = config({ trackingUri: `http://localhost:${port}` });
    const server = await maybeAutoStartMlflow(settings, { log: (line) => lines.push(line) });
    try {
      expect(server?.url).toBe(`http://127.0.0.1:${port}`);
      expect(await maybeAutoStartMlflow(settings, { log: (line) => lines.push(line) })).toBeUndefined();
      expect(lines.at(-1)).toContain('something already answers');
    } finally {
      await server?.stop();
    }
  });

  it('throws the start failure with its hint', async () => {
    const port = await freePort();
    const error = await maybeAutoStartMlflow(
      config({ trackingUri: `http://127.0.0.1:${port}`, command: join(dir, 'missing-mlflow') }),
    ).catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'not_installed' });
  });
});
