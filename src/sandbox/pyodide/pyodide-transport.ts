/**
 * The `pyodide` sandbox transport (the default): Pyodide in a worker thread with an empty
 * environment, offline, hardened (see worker.mjs). Protocol lines go host -> worker over a
 * MessagePort plus an Atomics wake-up, and worker -> host as plain messages; large variables
 * travel as transferred UTF-8 bytes. Wasm memory is capped from here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { DRIVER_PATH } from '../driver-path.js';
import type { HostMessage } from '../driver-protocol.js';
import type { DriverTransport, TransportFactory, TransportHandlers } from '../driver-transport.js';
import { SnapshotCache } from './snapshot-cache.js';

const WORKER_PATH = fileURLToPath(new URL('./worker.mjs', import.meta.url));
// Explicit, because Pyodide guesses its directory from stack traces, which source maps rewrite.
const PYODIDE_DIR = `${dirname(createRequire(import.meta.url).resolve('pyodide/pyodide.mjs'))}/`;

export interface PyodideTransportOptions {
  /** Where the memory snapshot is cached; no snapshot when omitted. */
  cacheDir?: string;
  /** Wasm heap cap in MB: allocations past it raise MemoryError in Python. */
  memoryLimitMb?: number;
}

/** Characters of protocol lines the worker may have posted before the host has read them. */
const MAX_INFLIGHT_CHARS = 16 * 1024 * 1024;

let sources: { driver: string; worker: string } | undefined;
const snapshotCaches = new Map<string, SnapshotCache>();

function loadSources(): { driver: string; worker: string } {
  sources ??= { driver: readFileSync(DRIVER_PATH, 'utf8'), worker: readFileSync(WORKER_PATH, 'utf8') };
  return sources;
}

function snapshotCacheFor(cacheDir: string): SnapshotCache {
  let cache = snapshotCaches.get(cacheDir);
  if (!cache) {
    const { driver, worker } = loadSources();
    cache = new SnapshotCache(cacheDir, driver, worker);
    snapshotCaches.set(cacheDir, cache);
  }
  return cache;
}

export function pyodideTransportFactory(options: PyodideTransportOptions = {}): TransportFactory {
  return async (handlers) => startPyodideTransport(handlers, options);
}

async function startPyodideTransport(
  handlers: TransportHandlers,
  options: PyodideTransportOptions,
): Promise<DriverTransport> {
  const { driver: driverSource } = loadSources();
  const cache = options.cacheDir ? snapshotCacheFor(options.cacheDir) : undefined;
  const snapshot = cache?.get();
  const makeSnapshot = !snapshot && (cache?.claimBuild() ?? false);
  const { port1, port2 } = new MessageChannel();
  const wake = new SharedArrayBuffer(4);
  const interrupt = new SharedArrayBuffer(4);
  const inflight = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_PATH, {
    env: {}, // no host secrets inside the sandbox
    execArgv: [], // never inherit loaders (tsx, vitest) or flags from the host process
    stdout: true,
    stderr: true,
    workerData: {
      port: port2,
      signal: wake,
      interrupt,
      memoryCapBytes: (options.memoryLimitMb ?? 0) * 1024 * 1024,
      snapshot,
      makeSnapshot,
      driverSource,
      indexURL: PYODIDE_DIR,
      maxLineBytes: handlers.maxLineBytes,
      inflight: inflight.buffer,
      maxInflight: MAX_INFLIGHT_CHARS,
    },
    transferList: [port2],
  });
  worker.stdout.setEncoding('utf8').on('data', (text: string) => handlers.onRawOutput('stdout', text));
  worker.stderr.setEncoding('utf8').on('data', (text: string) => handlers.onRawOutput('stderr', text));
  const transport = new PyodideTransport(worker, port1, new Int32Array(wake), new Int32Array(interrupt));
  // Snapshot messages are only believed while Pyodide loads, before any user code can run:
  // a snapshot saved later could carry state planted by user code into every later sandbox.
  let loading = true;
  worker.on('message', (message: unknown) => {
    if (typeof message === 'string') {
      try {
        // The worker drops long lines itself; this is the host's own check, in case it did not.
        if (message.length > handlers.maxLineBytes) handlers.onOversizedLine(message.length);
        else handlers.onLine(message);
      } finally {
        Atomics.sub(inflight, 0, message.length); // the worker may post more
        Atomics.notify(inflight, 0);
      }
      return;
    }
    const control = message as { kind: string; bytes?: unknown; stream?: 'stdout' | 'stderr'; text?: string };
    if (control.kind === 'memory') handlers.onMemory(control.bytes as number);
    else if (control.kind === 'raw')
      handlers.onRawOutput(control.stream ?? 'stderr', `${control.text ?? ''}\n`);
    else if (control.kind === 'oversized') handlers.onOversizedLine(control.bytes as number);
    else if (control.kind === 'loaded') loading = false;
    else if (control.kind === 'snapshot' && loading && makeSnapshot) cache?.save(control.bytes as Uint8Array);
    else if (control.kind === 'snapshot_failed' && loading) cache?.discard();
  });
  let exited = false;
  const exit = (reason: string) => {
    if (exited) return;
    exited = true;
    if (makeSnapshot) cache?.buildFailed();
    transport.markExited();
    handlers.onExit(reason);
  };
  worker.on('error', (error) => exit(`worker error: ${error.message}`));
  worker.on('exit', (code) => exit(`worker exited with code ${code}`));
  return transport;
}

class PyodideTransport implements DriverTransport {
  private exited = false;
  private readonly exitPromise: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly wake: Int32Array,
    private readonly interruptFlag: Int32Array,
  ) {
    this.exitPromise = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  markExited(): void {
    this.exited = true;
  }

  send(message: HostMessage, payload?: Uint8Array): void {
    if (this.exited) return;
    const text = JSON.stringify(message);
    if (payload) {
      // Transfer, never copy: the bytes must own their whole buffer to be detachable.
      const owned =
        payload.byteOffset === 0 &&
        payload.byteLength === payload.buffer.byteLength &&
        !(payload.buffer instanceof SharedArrayBuffer)
          ? payload
          : payload.slice();
      const id = 'id' in message ? message.id : undefined;
      this.port.postMessage({ text, payload: owned, id }, [owned.buffer as ArrayBuffer]);
    } else {
      this.port.postMessage(text); // a bare string: the common case, and the cheapest to clone
    }
    Atomics.add(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }

  interrupt(): void {
    Atomics.store(this.interruptFlag, 0, 2); // SIGINT
    Atomics.notify(this.interruptFlag, 0); // cuts an interruptible sleep short
    Atomics.add(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
    await this.exitPromise;
  }
}
