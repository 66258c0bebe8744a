/**
 * `fleet-rlm serve` as an operator runs it: the built bin in a child process of its own, so a
 * test can do to it what happens to real servers — SIGKILL it mid-turn (a crash), SIGTERM it
 * (a deploy's drain) — and start the next one on the same data directory or database.
 * Its models point at a scripted OpenAI-compatible server, like the in-process harness's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DELEGATE, PLANNER, SMALL } from './server-harness.js';

const BIN = new URL('../../bin/fleet-rlm.js', import.meta.url).pathname;
const DIST = new URL('../../dist/cli/main.js', import.meta.url);

export interface SpawnedServer {
  url: string;
  wsUrl: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL unless it has exited already; resolves once it has. */
  kill(): Promise<void>;
}

/** The environment a spawned server runs with: a data dir, port 0, models at `lmBaseUrl`. */
export function serverEnv(lmBaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'fleet-spawned-'));
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    FLEET_DATA_DIR: join(home, 'data'),
    FLEET_PORT: '0',
    DSPY_LM_MODEL: `openai/${PLANNER}`,
    DSPY_DELEGATE_LM_MODEL: `openai/${DELEGATE}`,
    DSPY_DELEGATE_LM_SMALL_MODEL: `openai/${SMALL}`,
    DSPY_LM_API_BASE: lmBaseUrl,
    DSPY_LLM_API_KEY: 'sk-test',
    LM_MAX_RETRIES: '0',
    SANDBOX_PROVIDER: 'process',
    SANDBOX_WARM_POOL: '0',
    MLFLOW_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts `fleet-rlm serve` and resolves once it says where it serves. */
export async function spawnServer(env: Record<string, string>, timeoutMs = 30_000): Promise<SpawnedServer> {
  if (!existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  // The working directory is HOME: no ./.env of the checkout is read.
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: env.HOME,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server did not start:\n${stderr}${stdout}`)),
      timeoutMs,
    );
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      const serving = /serving on (http:\/\/\S+)/.exec(stderr);
      if (serving) {
        clearTimeout(timer);
        resolve(serving[1]!);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before serving:\n${stderr}${stdout}`));
    });
  });
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    child,
    stderr: () => stderr,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
