/**
 * The `process` sandbox transport: `python3 -u driver.py` as a child process, talking over two
 * private descriptors (3: host -> driver, 4: driver -> host) so model code writing to fd 1 or
 * reading stdin can never touch the protocol. It runs in a private temp directory with a
 * minimal environment, under bubblewrap when available; SIGINT interrupts, SIGKILL ends it.
 * Less isolated than Pyodide: without bubblewrap, code can read the host's files and network.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { DRIVER_PATH } from '../driver-path.js';
import type { HostMessage } from '../driver-protocol.js';
import type { DriverTransport, TransportFactory, TransportHandlers } from '../driver-transport.js';
import { LineSplitter } from '../line-splitter.js';
import { bubblewrapArgs, bubblewrapUsable, locatePython } from './bubblewrap.js';
import { describeLeftovers, leftoverWork } from './leftover-work.js';

export interface ProcessTransportOptions {
  python?: string;
  /** Address-space cap for the interpreter (RLIMIT_AS), in MB; 0 = none. */
  memoryLimitMb?: number;
  /** 'auto' uses bubblewrap when it works here; 'required' fails without it. */
  bubblewrap?: 'auto' | 'required' | 'off';
}

export function processTransportFactory(options: ProcessTransportOptions = {}): TransportFactory {
  return (handlers) => startProcessTransport(handlers, options);
}

async function startProcessTransport(
  handlers: TransportHandlers,
  options: ProcessTransportOptions,
): Promise<DriverTransport> {
  const install = await locatePython(options.python ?? 'python3');
  const mode = options.bubblewrap ?? 'auto';
  const isolate = mode !== 'off' && (await bubblewrapUsable());
  if (mode === 'required' && !isolate) {
    throw new Error(
      'bubblewrap is required (SANDBOX_BWRAP=required) but bwrap is missing or cannot create namespaces',
    );
  }
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-rlm-sbx-'));
  const driverArgs = ['-u', '-X', 'utf8', '-s', DRIVER_PATH, '--fd-in', '3', '--fd-out', '4'];
  if (options.memoryLimitMb) driverArgs.push('--memory-limit-mb', String(options.memoryLimitMb));
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: workDir,
    TMPDIR: workDir,
    LANG: 'C.UTF-8',
    PYTHONIOENCODING: 'utf-8',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONNOUSERSITE: '1',
  };
  const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'];
  const child = isolate
    ? spawn(
        'bwrap',
        [...bubblewrapArgs(install, dirname(DRIVER_PATH), workDir, 5), install.executable, ...driverArgs],
        {
          cwd: workDir,
          env,
          stdio: [...stdio, 'pipe'],
          detached: true,
        },
      )
    : spawn(install.executable, driverArgs, { cwd: workDir, env, stdio, detached: true });
  const transport = new ProcessTransport(child, workDir, handlers);
  try {
    await transport.ready(isolate);
  } catch (error) {
    await transport.terminate(); // never leave a half-started child behind
    throw error;
  }
  return transport;
}

class ProcessTransport implements DriverTransport {
  private pythonPid?: number;
  private exited = false;
  private readonly exitPromise: Promise<void>;
  private readonly input: Writable;
  private stderrTail = '';
  private payloadSeq = 0;

  constructor(
    private readonly child: ChildProcess,
    private readonly workDir: string,
    handlers: TransportHandlers,
  ) {
    this.input = child.stdio[3] as Writable;
    this.input.on('error', () => {}); // EPIPE after the child died; 'exit' reports it
    const splitter = new LineSplitter((line) => handlers.onLine(line), {
      maxLineBytes: handlers.maxLineBytes,
      onOversized: (bytes) => handlers.onOversizedLine(bytes),
    });
    (child.stdio[4] as Readable).on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stdout?.setEncoding('utf8').on('data', (text: string) => handlers.onRawOutput('stdout', text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      handlers.onRawOutput('stderr', text);
    });
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        rmSync(this.workDir, { recursive: true, force: true });
        const how = exitDescription(code, signal);
        handlers.onExit(this.stderrTail.trim() ? `${how}: ${this.stderrTail.trim().slice(-500)}` : how);
        resolve();
      });
    });
  }

  /** Waits for the spawn (and, under bubblewrap, the interpreter's pid for SIGINT). */
  async ready(isolated: boolean): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.child.once('spawn', resolve);
      this.child.once('error', reject);
    });
    if (!isolated) {
      this.pythonPid = this.child.pid;
      return;
    }
    // bwrap writes its info JSON in several writes, then closes the descriptor. Read it to the
    // end: stopping at the first chunk that names the pid closes our end early, and bwrap's
    // next write then dies of SIGPIPE (and a chunk can end in the middle of the number).
    const info = (this.child.stdio as unknown as Readable[])[5]!;
    let text = '';
    for await (const chunk of info) text += String(chunk);
    const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
    if (match) this.pythonPid = Number(match[1]);
    if (!this.pythonPid)
      throw new Error(`bubblewrap did not report the interpreter's pid: ${this.stderrTail}`);
  }

  send(message: HostMessage, payload?: Uint8Array): void {
    if (this.exited) return;
    let outgoing = message;
    if (payload && message.type === 'set_var') {
      // A file in the private directory: the driver reads it once and deletes it.
      const path = join(this.workDir, `payload-${++this.payloadSeq}`);
      writeFileSync(path, payload, { mode: 0o600 });
      outgoing = { ...message, path };
    }
    this.input.write(`${JSON.stringify(outgoing)}\n`);
  }

  interrupt(): void {
    if (this.exited || !this.pythonPid) return;
    try {
      process.kill(this.pythonPid, 'SIGINT');
    } catch {
      // already gone
    }
  }

  leftovers(): string | undefined {
    if (this.exited || !this.pythonPid) return undefined;
    return describeLeftovers(leftoverWork(this.pythonPid));
  }

  async terminate(): Promise<void> {
    if (this.child.pid === undefined) return; // never spawned: there is no exit to wait for
    const interpreter = this.pythonPid !== this.child.pid ? this.pythonPid : undefined;
    if (!this.exited) {
      try {
        process.kill(-this.child.pid, 'SIGKILL'); // the whole group: bwrap and the interpreter
      } catch {
        this.child.kill('SIGKILL');
      }
      if (interpreter) signal(interpreter, 'SIGKILL'); // bwrap gave it a session of its own
    }
    await this.exitPromise;
    // Under bubblewrap the interpreter is the namespace's init: once it is gone, so is every
    // process its code started. Wait for that, so nothing of this runtime outlives terminate().
    if (interpreter) await untilGone(interpreter, 2000);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Polls until `pid` has exited (gone or a zombie), at most `timeoutMs`. */
async function untilGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let state: string;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Under bubblewrap the interpreter is not our child: bwrap exits with 128 + the signal that
 * killed it, so name that signal as if we had seen it ourselves.
 */
function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `killed by ${signal}`;
  const name =
    code !== null && code > 128
      ? Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0]
      : undefined;
  return name ? `killed by ${name} (exit code ${code})` : `exit code ${code}`;
}
