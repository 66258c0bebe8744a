/**
 * Documents are parsed off the event loop: every source (upload, URL, workspace file, the agent's
 * `load_document`) hands its bytes here, and each parse runs `extractText` in a worker thread of
 * its own with a JavaScript heap limit and a wall-clock limit. A hostile document can then only
 * kill its worker: running out of heap ends the worker (413), running out of time terminates it
 * (422), and the server's thread keeps answering throughout. A fresh worker per document means no
 * state survives from one user's document to the next. `parse-slots.ts` bounds how many run.
 */
import { Worker } from 'node:worker_threads';
import type { DocumentsConfig } from '../config/config.js';
import type { TypeHints } from './detect-type.js';
import { DocumentError } from './document-error.js';
import type { ExtractedText } from './extract-text.js';
import { ParseSlots } from './parse-slots.js';
import type { ParseReply, ParseRequest } from './parse-worker-body.js';

export type ParseLimits = Pick<
  DocumentsConfig,
  | 'maxInflatedBytes'
  | 'maxCompressionRatio'
  | 'parseTimeoutMs'
  | 'workerHeapMb'
  | 'maxParallelParses'
  | 'maxQueuedParses'
>;

const WORKER_URL = new URL('./parse-worker.mjs', import.meta.url);
const OUT_OF_MEMORY = 'ERR_WORKER_OUT_OF_MEMORY';
const slots = new ParseSlots();

/**
 * The text of a document, extracted in a worker thread. Takes ownership of `bytes`: when they
 * cover a whole ArrayBuffer, that memory is moved to the worker (no copy) and the caller's view is
 * left empty; otherwise they are copied once.
 */
export async function parseDocument(
  bytes: Uint8Array,
  hints: TypeHints,
  limits: ParseLimits,
  signal?: AbortSignal,
): Promise<ExtractedText> {
  const release = await slots.acquire(limits, hints.name ?? 'untitled', signal);
  // The caller may have given up while the slot was being granted.
  if (signal?.aborted) {
    release();
    throw signal.reason;
  }
  return runWorker(ownedBytes(bytes), hints, limits, release, signal);
}

/** Parses running and waiting in this process right now. */
export function parseLoad(): { running: number; waiting: number } {
  return slots.load();
}

function runWorker(
  bytes: Uint8Array<ArrayBuffer>,
  hints: TypeHints,
  limits: ParseLimits,
  release: () => void,
  signal?: AbortSignal,
): Promise<ExtractedText> {
  const name = hints.name ?? 'untitled';
  const request: ParseRequest = {
    bytes,
    hints,
    limits: { maxInflatedBytes: limits.maxInflatedBytes, maxCompressionRatio: limits.maxCompressionRatio },
  };
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = startWorker(request, bytes.buffer, limits);
    } catch (error) {
      release();
      throw error;
    }
    let started = false;
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      settle();
    };
    const timer = setTimeout(
      () => finish(() => reject(timeoutError(name, limits.parseTimeoutMs))),
      limits.parseTimeoutMs,
    );
    const onAbort = () => finish(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: ParseReply) => {
      if (reply.kind === 'started') {
        started = true;
        return;
      }
      finish(() =>
        reply.kind === 'text'
          ? resolve({ text: reply.text, mimeType: reply.mimeType })
          : reject(new DocumentError(reply.errorKind, reply.message)),
      );
    });
    worker.on('error', (error: NodeJS.ErrnoException) =>
      // A worker that failed before it started is a fault of this server (a broken install, say),
      // not of the document: that error goes up as it is, to be logged and answered with a 500.
      finish(() =>
        reject(started || error.code === OUT_OF_MEMORY ? workerError(error, name, limits) : error),
      ),
    );
    worker.on('exit', (code) => {
      // The slot is held until the thread is gone, not merely answered: a worker being
      // terminated still holds its heap, and the cap is about memory.
      release();
      finish(() =>
        reject(
          new DocumentError(
            'extraction_failed',
            `Reading '${name}' stopped unexpectedly (the parser exited with code ${code}); try again, or paste ` +
              'its text instead.',
          ),
        ),
      );
    });
  });
}

function startWorker(request: ParseRequest, moved: ArrayBuffer, limits: ParseLimits): Worker {
  return new Worker(WORKER_URL, {
    workerData: request,
    transferList: [moved],
    resourceLimits: {
      maxOldGenerationSizeMb: limits.workerHeapMb,
      maxYoungGenerationSizeMb: youngGenerationMb(limits.workerHeapMb),
    },
    // A document parser needs no secrets: the worker gets an empty environment, and none of this
    // process's node flags (`--inspect`, `--input-type`...), which are not its business.
    env: {},
    execArgv: [],
  });
}

/** The bytes on an ArrayBuffer of their own, which can be transferred: the same memory if possible. */
function ownedBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) {
    return new Uint8Array(buffer);
  }
  // A view into a larger buffer (e.g. Node's shared pool of small Buffers) must not be moved.
  return new Uint8Array(bytes);
}

/** V8's young generation, scaled with the heap (1/16) within 8..64 MB. */
function youngGenerationMb(heapMb: number): number {
  return Math.min(64, Math.max(8, Math.floor(heapMb / 16)));
}

function timeoutError(name: string, timeoutMs: number): DocumentError {
  return new DocumentError(
    'parse_timeout',
    `Reading '${name}' took longer than ${timeoutMs / 1000} s, the limit for one document ` +
      '(FLEET_DOCUMENT_PARSE_TIMEOUT, in seconds), and was stopped. The document is too large or too complex ' +
      'to read; split it, paste its text, or raise the limit.',
  );
}

function workerError(error: NodeJS.ErrnoException, name: string, limits: ParseLimits): DocumentError {
  if (error.code === OUT_OF_MEMORY) {
    return new DocumentError(
      'parse_out_of_memory',
      `Reading '${name}' needed more than the ${limits.workerHeapMb} MB of memory one document may use ` +
        '(FLEET_DOCUMENT_WORKER_HEAP_MB), and was stopped. The document is too large or too complex to read; ' +
        'split it, paste its text, or raise the limit if the server has the memory.',
      { cause: error },
    );
  }
  return new DocumentError(
    'extraction_failed',
    `Could not read '${name}': ${error.message}. The file may be damaged; open and save it again, or paste ` +
      'its text instead.',
    { cause: error },
  );
}
