/**
 * A local `mlflow server` as a child process: started on a loopback port with a SQLite store
 * and an artifacts folder beside it, ready once `/health` answers `OK`, stopped with SIGTERM then
 * SIGKILL, and never outliving this process. `maybeAutoStartMlflow` applies MLFLOW_AUTO_START.
 *
 * `mlflow server` is a process tree (the CLI, uvicorn, and with job execution seven `huey`
 * consumers), so it runs in its own process group and is signalled as a group. A small shell
 * watcher in that group holds the read end of a pipe from us: when this process dies in any way,
 * even SIGKILL, the pipe closes and the watcher takes the group down (TERM, then KILL after 5 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type MlflowConfig, processEnvironment } from '../../config/config.js';
import { isPortOpen } from './is-port-open.js';
import { LocalMlflowError } from './local-mlflow-error.js';
import { isLoopbackUri } from './tracking-uri.js';

export interface LocalMlflowOptions {
  /** The `mlflow` executable (MlflowConfig.command). */
  command: string;
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  /** E.g. `sqlite:////abs/.fleet-rlm/mlruns.db`; the folder of a SQLite file is created. */
  backendStoreUri: string;
  /** Where the server stores artifacts. Default: `mlartifacts` beside the SQLite file. */
  artifactsDir?: string;
  /** Default 60 s (the first start migrates the database; about 6 s on a laptop). */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on stop. Default 5 s. */
  stopGraceMs?: number;
  /**
   * MLflow's background job runner (UI-launched judges and optimizations): seven extra Python
   * processes that tracing does not need. Default false.
   */
  jobExecution?: boolean;
  /** Every chunk the server writes (stdout and stderr); e.g. the CLI forwards it to stderr. */
  onOutput?: (text: string) => void;
  /**
   * Let the child keep this process alive, as a foreground `fleet-rlm mlflow-server` wants.
   * Default false: a server that auto-starts MLflow must still exit when its own work ends.
   */
  keepProcessAlive?: boolean;
}

export interface LocalMlflowServer {
  /** The tracking URI, e.g. `http://127.0.0.1:5001`. */
  url: string;
  pid: number;
  /** Settles when the server process exits, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the server wrote (without our own `/health` polls), for error messages. */
  outputTail(): string;
  /** SIGTERM to the process group, SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void>;
}

const POLL_MS = 250;
const TAIL_CHARS = 4000;
const TAIL_LINES = 20;
const INSTALL_HINT = 'install MLflow into the project venv with `npm run setup:mlflow`';
/** Our own health polls in MLflow's access log; they would crowd the telling lines out of a tail. */
const HEALTH_POLL_LINE = /"GET \/health HTTP\/[\d.]+" 200/;
const posix = process.platform !== 'win32';

// The watcher keeps fd 3 (our pipe); mlflow gets /dev/null as stdin and never sees the pipe.
// On EOF it sends TERM to the group, waits up to 5 s for the leader (`$$`, the shell that
// became mlflow) to go, then KILLs the group, itself included.
const WATCHER_SCRIPT = [
  'exec 3<&0',
  "(trap '' TERM INT; read _ <&3; kill -TERM 0; for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $$ || break; sleep 0.5; done; kill -KILL 0) </dev/null >/dev/null 2>&1 &",
  'exec 3<&-',
  'exec "$@" </dev/null',
].join('\n');

export async function startLocalMlflow(options: LocalMlflowOptions): Promise<LocalMlflowServer> {
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${options.port}`;
  checkExecutable(options.command);
  if (await isPortOpen(host, options.port)) {
    throw new LocalMlflowError(
      'port_in_use',
      `something already listens on ${url}; stop it, or choose another port (--port, or the port in MLFLOW_TRACKING_URI)`,
    );
  }
  const storeFile = sqliteFile(options.backendStoreUri);
  if (storeFile) mkdirSync(dirname(storeFile), { recursive: true });
  const artifactsDir = resolve(
    options.artifactsDir ?? (storeFile ? resolve(dirname(storeFile), 'mlartifacts') : 'mlartifacts'),
  );
  mkdirSync(artifactsDir, { recursive: true });

  const args = [
    'server',
    '--host',
    host,
    '--port',
    String(options.port),
    '--workers',
    '1',
    '--backend-store-uri',
    options.backendStoreUri,
    '--artifacts-destination',
    artifactsDir,
  ];
  // The child needs PATH, HOME and the venv's variables; passing the environment through is not
  // reading configuration from it.
  const env = {
    ...processEnvironment(),
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: options.jobExecution ? 'true' : 'false',
    PYTHONUNBUFFERED: '1',
  };
  const child = posix
    ? spawn('/bin/sh', ['-c', WATCHER_SCRIPT, 'fleet-rlm-mlflow', options.command, ...args], {
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env,
      })
    : spawn(options.command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const server = supervise(child, url, options);
  try {
    await waitUntilHealthy(server, url, options);
    return server;
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Starts a local MLflow when MLFLOW_AUTO_START is on, the tracking URI is a loopback http URI,
 * and nothing listens there yet; otherwise does nothing (an occupied port is left to
 * `MlflowStatus` to diagnose). Throws `LocalMlflowError` when the start fails: log it and go on,
 * since tracing is optional (`MlflowStatus.warmUp(thisPromise)` turns it into the status hint).
 */
export async function maybeAutoStartMlflow(
  config: MlflowConfig,
  options: Pick<LocalMlflowOptions, 'artifactsDir' | 'startTimeoutMs' | 'onOutput' | 'jobExecution'> & {
    log?: (line: string) => void;
  } = {},
): Promise<LocalMlflowServer | undefined> {
  const log = options.log ?? (() => {});
  if (!config.enabled || !config.autoStart) return undefined;
  const target = new URL(config.trackingUri);
  if (!isLoopbackUri(config.trackingUri) || target.protocol !== 'http:') {
    log(`MLFLOW_AUTO_START is on, but ${target.origin} is not a loopback http URI; not starting MLflow`);
    return undefined;
  }
  const host = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || 80);
  if (await isPortOpen(host, port)) {
    log(`something already answers at ${target.origin}; not starting a local MLflow`);
    return undefined;
  }
  log(`starting a local MLflow on ${target.origin} (set MLFLOW_AUTO_START=false to skip)`);
  const server = await startLocalMlflow({
    command: config.command,
    host,
    port,
    backendStoreUri: config.backendStoreUri,
    ...options,
  });
  log(`local MLflow ready on ${server.url} (pid ${server.pid})`);
  return server;
}

function supervise(child: ChildProcess, url: string, options: LocalMlflowOptions): LocalMlflowServer {
  // Whole lines without our health polls, then the line still being written.
  let tail = '';
  let partial = '';
  const record = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    options.onOutput?.(text);
    const lines = (partial + text).split('\n');
    partial = (lines.pop() ?? '').slice(-TAIL_CHARS);
    const kept = lines.filter((line) => !HEALTH_POLL_LINE.test(line));
    if (kept.length > 0) tail = `${tail}${kept.join('\n')}\n`.slice(-TAIL_CHARS);
  };
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', (error) => {
      record(Buffer.from(`${error.message}\n`));
      done({ code: null, signal: null });
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (posix && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const onParentExit = () => signalGroup('SIGTERM');
  process.on('exit', onParentExit);
  if (!options.keepProcessAlive) {
    // Neither the child nor its pipes keep this process alive; the watcher covers our exit.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    pid: child.pid ?? -1,
    exited,
    outputTail: () => lastLines(tail + partial),
    stop: () => {
      stopping ??= (async () => {
        child.stdin?.destroy();
        if (running) signalGroup('SIGTERM');
        const grace = options.stopGraceMs ?? 5000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((done) => (timer = setTimeout(done, grace)))]);
        clearTimeout(timer);
        // Also sweeps what outlived the leader: the watcher, a uvicorn still shutting down.
        signalGroup('SIGKILL');
        await exited;
        // SIGKILL is delivered asynchronously; wait (bounded) until no member of the group is left.
        if (posix && child.pid) await groupGone(child.pid, 2000);
        process.off('exit', onParentExit);
      })();
      return stopping;
    },
  };
}

async function groupGone(groupId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && groupHasLiveMembers(groupId)) {
    await new Promise((done) => setTimeout(done, 20));
  }
}

/**
 * Whether a process of the group is still running. Zombies do not count: when pid 1 does not
 * reap orphans (a bare container), they stay in the group forever without holding anything.
 */
function groupHasLiveMembers(groupId: number): boolean {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-groupId, 0);
      return true;
    } catch {
      return false; // ESRCH: nobody left in the group.
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesized command name: state, ppid, pgrp, …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === groupId && state !== 'Z') return true;
  }
  return false;
}

async function waitUntilHealthy(server: LocalMlflowServer, url: string, options: LocalMlflowOptions) {
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void server.exited.then((result) => {
    exit = result;
  });
  while (Date.now() < deadline) {
    if (exit) throw exitError(exit, options.command, server.outputTail());
    if (await answersOk(url)) return;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  if (exit) throw exitError(exit, options.command, server.outputTail());
  throw new LocalMlflowError(
    'timeout',
    `mlflow server did not answer ${url}/health within ${Math.round(timeoutMs / 1000)} s; see its output below, or raise the start timeout`,
    server.outputTail(),
  );
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200 && (await response.text()).trim() === 'OK';
  } catch {
    return false;
  }
}

function exitError(
  exit: { code: number | null; signal: NodeJS.Signals | null },
  command: string,
  outputTail: string,
): LocalMlflowError {
  // 127/126: the shell could not find or run the command.
  if (exit.code === 127 || exit.code === 126) {
    return new LocalMlflowError(
      'not_installed',
      `cannot run \`${command}\` (MLFLOW_COMMAND): ${INSTALL_HINT}, or set MLFLOW_AUTO_START=false`,
      outputTail,
    );
  }
  return new LocalMlflowError(
    'exited',
    `mlflow server ${describeExit(exit)} before it was ready`,
    outputTail,
  );
}

/** `exited with code 1` / `was killed by SIGKILL`. */
export function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** A path with a slash is checked up front; a bare name is looked up on PATH by the shell. */
function checkExecutable(command: string): void {
  if (!command.includes('/')) return;
  try {
    accessSync(command, constants.X_OK);
  } catch {
    throw new LocalMlflowError(
      'not_installed',
      `${command} (MLFLOW_COMMAND) does not exist or is not executable: ${INSTALL_HINT}`,
    );
  }
}

/** `sqlite:////abs/file.db` → `/abs/file.db`; `sqlite:///rel.db` → `rel.db`; else undefined. */
function sqliteFile(uri: string): string | undefined {
  const match = /^sqlite:\/\/\/([^?]+)/.exec(uri);
  return match ? match[1] : undefined;
}

function lastLines(text: string): string {
  return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
}
