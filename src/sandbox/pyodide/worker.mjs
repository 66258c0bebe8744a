// @ts-check
/**
 * The Pyodide sandbox worker: loads Pyodide (from a memory snapshot when one is given), starts
 * `driver.py` on a blocking transport, hardens its own JS realm (harden.mjs), then stays inside
 * the driver's serve loop for the rest of its life.
 *
 * Plain JavaScript on purpose: it runs before and after the realm is locked down, and must not
 * depend on a loader. The host half is pyodide-transport.ts.
 *
 * Blocking bridge: host -> worker messages arrive on a MessagePort that this thread reads
 * synchronously (`receiveMessageOnPort`) after `Atomics.wait` on a shared counter; worker ->
 * host messages are plain `postMessage`s. The interrupt buffer is Pyodide's SIGINT flag.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { harden } from './harden.mjs';

/** @type {{ port: import('node:worker_threads').MessagePort, signal: SharedArrayBuffer, interrupt: SharedArrayBuffer,
 *   memoryCapBytes: number, snapshot?: Uint8Array, makeSnapshot: boolean, driverSource: string, indexURL: string,
 *   maxLineBytes: number, inflight: SharedArrayBuffer, maxInflight: number }} */
const config = workerData;
const host = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const wake = new Int32Array(config.signal);
const interruptFlag = new Int32Array(config.interrupt);
/** Characters of protocol lines posted that the host has not handled yet. */
const inflight = new Int32Array(config.inflight);

capWasmMemory(config.memoryCapBytes);

const { loadPyodide } = await import('pyodide');
const pyodide = await load();
host.postMessage({ kind: 'loaded', fromSnapshot: Boolean(config.snapshot) });
// The heap as loaded (a snapshot restores it without growing), so the host knows it from the start.
host.postMessage({ kind: 'memory', bytes: /** @type {any} */ (pyodide)._module.HEAP8.buffer.byteLength });

/** @type {Map<string, Uint8Array>} */
const payloads = new Map();
const SPIN_MS = 0.2;

function recv() {
  for (;;) {
    if (Atomics.load(interruptFlag, 0) !== 0) pyodide.checkInterrupt();
    const seen = Atomics.load(wake, 0);
    const entry = receiveMessageOnPort(config.port);
    if (entry) {
      if (typeof entry.message === 'string') return entry.message;
      const { text, payload, id } = entry.message;
      payloads.set(id, payload);
      return text;
    }
    // A fast host reply usually lands within microseconds: spin briefly before sleeping, since
    // waking from Atomics.wait costs more than the reply itself.
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(wake, 0) === seen && performance.now() < spinUntil);
    if (Atomics.load(wake, 0) === seen) Atomics.wait(wake, 0, seen, 1000);
  }
}

/**
 * Python code can reach this function (through the driver object), so it only ever posts a
 * string: a protocol line. An object would look like a control message (a forged `snapshot`
 * would poison every later sandbox started from the cache). A line past the host's cap is not
 * copied to the host at all: only its size is reported.
 * @param {unknown} text
 */
function send(text) {
  const line = String(text);
  if (line.length > config.maxLineBytes) {
    host.postMessage({ kind: 'oversized', bytes: line.length });
    return;
  }
  // Backpressure: posting is cheaper than the host's parsing, so a flood would pile up in the
  // host's queue. Wait while the host has more than its window of lines still to read.
  for (let queued = Atomics.load(inflight, 0); queued > 0 && queued + line.length > config.maxInflight; ) {
    Atomics.wait(inflight, 0, queued, 100);
    queued = Atomics.load(inflight, 0);
  }
  Atomics.add(inflight, 0, line.length);
  host.postMessage(line);
}

/** @param {string} id */
function takePayload(id) {
  const payload = payloads.get(id);
  payloads.delete(id);
  if (!payload) throw new Error(`no payload for ${id}`);
  return payload;
}

/** time.sleep that an interrupt can cut short. @param {number} seconds */
function sleep(seconds) {
  const deadline = performance.now() + Math.max(0, seconds) * 1000;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0 || Atomics.load(interruptFlag, 0) !== 0) break;
    Atomics.wait(interruptFlag, 0, 0, Math.min(left, 1000));
  }
  if (Atomics.load(interruptFlag, 0) !== 0) pyodide.checkInterrupt();
}

const driverModule = pyodide.pyimport('fleet_driver');
const driver = driverModule.create_pyodide_driver(recv, send, takePayload, sleep);
const fdWrite = driver.fd_write;
pyodide.setStdout(fdWriter('stdout'));
pyodide.setStderr(fdWriter('stderr'));
pyodide.setInterruptBuffer(interruptFlag);
harden(pyodide);
driver.serve();
process.exit(0);

// ------------------------------------------------------------------------------------------

/**
 * Writes below sys.stdout (os.write(1, ...), C code) go to the current execution's output.
 * One streaming decoder per descriptor, so a character split across two writes survives.
 * @param {'stdout' | 'stderr'} stream
 */
function fdWriter(stream) {
  const streamDecoder = new TextDecoder();
  return {
    write: (/** @type {Uint8Array} */ bytes) => {
      fdWrite(stream, streamDecoder.decode(bytes, { stream: true }));
      return bytes.length;
    },
  };
}

async function load() {
  const options = {
    indexURL: config.indexURL,
    jsglobals: Object.freeze(Object.create(null)),
    // Emscripten would fill `_` with this worker's host path.
    env: { HOME: '/home/pyodide', _: '/usr/bin/python3' },
    stdout: (/** @type {string} */ text) => host.postMessage({ kind: 'raw', stream: 'stdout', text }),
    stderr: (/** @type {string} */ text) => host.postMessage({ kind: 'raw', stream: 'stderr', text }),
  };
  if (config.snapshot) {
    try {
      const instance = await loadPyodide({ ...options, _loadSnapshot: config.snapshot });
      if (instance.runPython('"fleet_driver" in __import__("sys").modules')) return instance;
      throw new Error('snapshot has no driver module');
    } catch (error) {
      host.postMessage({ kind: 'snapshot_failed', error: String(error) });
    }
  }
  const instance = await loadPyodide({ ...options, _makeSnapshot: config.makeSnapshot });
  instance.globals.set('__driver_source', config.driverSource);
  instance.runPython(`
import sys, types
import ast, builtins, json, linecache, os, signal, time, traceback, re, io
_module = types.ModuleType("fleet_driver")
_module.__file__ = "<fleet-driver>"
exec(compile(__driver_source, "<fleet-driver>", "exec"), _module.__dict__)
sys.modules["fleet_driver"] = _module
del _module, __driver_source
`);
  if (config.makeSnapshot) {
    const snapshot = instance.makeMemorySnapshot();
    host.postMessage({ kind: 'snapshot', bytes: snapshot }, [/** @type {ArrayBuffer} */ (snapshot.buffer)]);
  }
  return instance;
}

/**
 * Wasm memory lives outside Node's resourceLimits, so cap it here: a growth past the cap fails,
 * which Python sees as MemoryError, and the sandbox survives. Every growth is reported.
 * @param {number} capBytes
 */
function capWasmMemory(capBytes) {
  const memoryPrototype = /** @type {any} */ (globalThis).WebAssembly.Memory.prototype;
  const grow = memoryPrototype.grow;
  memoryPrototype.grow = function (/** @type {number} */ pages) {
    const next = this.buffer.byteLength + pages * 65536;
    if (capBytes > 0 && next > capBytes) throw new RangeError('sandbox memory cap reached');
    const previous = grow.call(this, pages);
    host.postMessage({ kind: 'memory', bytes: this.buffer.byteLength });
    return previous;
  };
}
