/**
 * `fleet-rlm mlflow-server` as a user runs it, in a child process with the fake `mlflow`: it
 * serves until Ctrl-C and exits 0 with the server gone; a server that fails to start is a
 * one-line error with its output and exit code 1. (Lives here until the lead registers the
 * command in src/cli/main.ts; then test/cli/ is its home.)
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortOpen } from '../../../src/tracing/mlflow/is-port-open.js';
import { freePort } from './support/mlflow-test-server.js';

const FAKE = resolve('test/tracing/mlflow/support/fake-mlflow.mjs');
const RUNNER = resolve('test/tracing/mlflow/support/run-mlflow-server-command.ts');
// An absolute loader, so the child can run in a temp directory (no stray .env picked up). Not
// `--env-file`: Node 20 takes that flag for itself even after the script name.
const TSX = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-rlm-mlflow-cli-'));
  for (const mode of ['ok', 'exit']) {
    writeFileSync(
      join(dir, `mlflow-${mode}`),
      `#!/bin/sh\nexec "${process.execPath}" "${FAKE}" ${mode} "$@"\n`,
    );
    chmodSync(join(dir, `mlflow-${mode}`), 0o755);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runCommand(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', TSX, RUNNER, 'mlflow-server', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, FLEET_DATA_DIR: join(dir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  const waitForStderr = async (needle: string) => {
    const deadline = Date.now() + 30_000;
    while (!stderr.includes(needle)) {
      if (Date.now() > deadline) throw new Error(`no '${needle}' in stderr:\n${stderr}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  };
  return { child, exited, waitForStderr, stderr: () => stderr };
}

describe('fleet-rlm mlflow-server', () => {
  it('serves on the port of MLFLOW_TRACKING_URI until Ctrl-C', async () => {
    const port = await freePort();
    const run = runCommand([], {
      MLFLOW_COMMAND: join(dir, 'mlflow-ok'),
      MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`,
    });
    await run.waitForStderr(`MLflow ready on http://127.0.0.1:${port}`);
    expect(run.stderr()).toContain(`--backend-store-uri sqlite:///${join(dir, 'data', 'mlruns.db')}`);
    expect(run.stderr()).toContain(`--artifacts-destination ${join(dir, 'data', 'mlartifacts')}`);
    expect(run.stderr()).not.toContain('set MLFLOW_TRACKING_URI');
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('OK');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });

  it('says to point MLFLOW_TRACKING_URI at a server on another --port', async () => {
    const port = await freePort();
    const run = runCommand(['--port', String(port)], { MLFLOW_COMMAND: join(dir, 'mlflow-ok') });
    await run.waitForStderr('MLflow ready');
    await run.waitForStderr(`set MLFLOW_TRACKING_URI=http://127.0.0.1:${port}`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('fails with the server output when MLflow does not start', async () => {
    const run = runCommand(['--port', String(await freePort())], {
      MLFLOW_COMMAND: join(dir, 'mlflow-exit'),
    });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('error: mlflow server exited with code 3 before it was ready');
    expect(run.stderr()).toContain('unable to open database file');
  });
});
