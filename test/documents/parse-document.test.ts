/**
 * `parseDocument`: real worker threads extracting real files. The bytes move to the worker (or are
 * copied once when they are a view into a larger buffer), a `DocumentError` crosses back intact,
 * the time and heap limits stop a hostile document with a message naming the setting, and the
 * per-process slots queue extra parses and refuse them once the line is full.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { DOCUMENT_PARSE_DEFAULTS } from '../../src/config/config.js';
import { type ParseLimits, parseDocument, parseLoad } from '../../src/documents/parse-document.js';
import { heavyDocx, normalPdf, slowPdf } from '../security/support/document-bombs.js';
import { buildDocx } from './support/build-docx.js';
import { expectDocumentError } from './support/expect-document-error.js';

const LIMITS: ParseLimits = DOCUMENT_PARSE_DEFAULTS;
const execFileAsync = promisify(execFile);

/** A slot is freed when its worker thread has exited, shortly after the parse was answered. */
async function untilIdle(): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (parseLoad().running > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(parseLoad()).toEqual({ running: 0, waiting: 0 });
}

describe('parsing in a worker', () => {
  it('returns the text and type, and moves a whole buffer to the worker instead of copying it', async () => {
    const bytes = normalPdf(['Moved, not copied']);
    expect(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength).toBe(true);
    const result = await parseDocument(bytes, { name: 'moved.pdf' }, LIMITS);
    expect(result).toEqual({ text: 'Moved, not copied', mimeType: 'application/pdf' });
    expect(bytes.byteLength).toBe(0);
  });

  it('copies a view into a larger buffer, leaving the rest of that buffer alone', async () => {
    const docx = buildDocx(['A view']);
    const shared = new Uint8Array(docx.byteLength + 16);
    shared.set(docx, 8);
    const view = shared.subarray(8, 8 + docx.byteLength);
    expect((await parseDocument(view, { name: 'view.docx' }, LIMITS)).text.trim()).toBe('A view');
    expect(view.byteLength).toBe(docx.byteLength);
    expect(shared.byteLength).toBe(docx.byteLength + 16);
  });

  it('reads a Node Buffer, as a multipart upload hands it over', async () => {
    const buffer = Buffer.from(normalPdf(['From a Buffer']));
    expect((await parseDocument(buffer, { name: 'upload.pdf' }, LIMITS)).text).toBe('From a Buffer');
  });

  it('works from dist/ after `npm run build`, in plain node (no TypeScript loader)', async () => {
    const entry = new URL('../../dist/documents/parse-document.js', import.meta.url);
    if (!existsSync(entry)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const file = join(mkdtempSync(join(tmpdir(), 'parse-dist-')), 'letter.docx');
    writeFileSync(file, buildDocx(['Built and shipped']));
    const script = `
      import { readFileSync } from 'node:fs';
      const { parseDocument } = await import(${JSON.stringify(entry.href)});
      const limits = { maxInflatedBytes: 1e6, maxCompressionRatio: 100, parseTimeoutMs: 20000,
        workerHeapMb: 128, maxParallelParses: 1, maxQueuedParses: 0 };
      const result = await parseDocument(readFileSync(${JSON.stringify(file)}), { name: 'letter.docx' }, limits);
      process.stdout.write(JSON.stringify(result));`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      // Plain node: no --import tsx inherited from whatever runs the tests.
      env: { PATH: process.env.PATH },
    });
    expect(JSON.parse(stdout)).toMatchObject({ text: expect.stringContaining('Built and shipped') });
  });

  it('brings a DocumentError back with its code and message', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    const error = await expectDocumentError(
      parseDocument(png, { name: 'chart.png' }, LIMITS),
      'unsupported_type',
    );
    expect(error.message).toContain("'chart.png' is image/png");
  });
});

describe('limits', () => {
  // Slots are per process: start each test with none still held by a worker being torn down.
  beforeEach(untilIdle);

  it('terminates a parse that runs past the time limit', async () => {
    const started = performance.now();
    const error = await expectDocumentError(
      parseDocument(slowPdf({ pages: 250 }), { name: 'slow.pdf' }, { ...LIMITS, parseTimeoutMs: 1_500 }),
      'parse_timeout',
    );
    expect(error.message).toContain("Reading 'slow.pdf' took longer than 1.5 s");
    expect(error.message).toContain('FLEET_DOCUMENT_PARSE_TIMEOUT');
    // Stopped at the limit, not after the ~30 s the document would take.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('stops a parse that outgrows the worker heap', async () => {
    const error = await expectDocumentError(
      parseDocument(await heavyDocx(100_000), { name: 'heavy.docx' }, { ...LIMITS, workerHeapMb: 64 }),
      'parse_out_of_memory',
    );
    expect(error.message).toContain('more than the 64 MB of memory one document may use');
    expect(error.message).toContain('FLEET_DOCUMENT_WORKER_HEAP_MB');
  });

  it('runs at most maxParallelParses at once, queues maxQueuedParses, and refuses the rest', async () => {
    const limits = { ...LIMITS, parseTimeoutMs: 1_000, maxParallelParses: 1, maxQueuedParses: 1 };
    const slow = () => slowPdf({ pages: 250 });
    const first = parseDocument(slow(), { name: 'first.pdf' }, limits);
    const second = parseDocument(slow(), { name: 'second.pdf' }, limits);
    expect(parseLoad()).toEqual({ running: 1, waiting: 1 });
    const busy = await expectDocumentError(parseDocument(slow(), { name: 'third.pdf' }, limits), 'busy');
    expect(busy.message).toContain("'third.pdf' was not read: 1 documents are being read and 1 are waiting");
    expect(busy.message).toContain('FLEET_DOCUMENT_MAX_PARALLEL_PARSES');
    await expectDocumentError(first, 'parse_timeout');
    await expectDocumentError(second, 'parse_timeout');
    await untilIdle();
  });

  it('drops a queued parse and stops a running one when the caller aborts', async () => {
    const limits = { ...LIMITS, maxParallelParses: 1 };
    const controller = new AbortController();
    const running = parseDocument(
      slowPdf({ pages: 250 }),
      { name: 'running.pdf' },
      limits,
      controller.signal,
    );
    const queued = parseDocument(slowPdf({ pages: 250 }), { name: 'queued.pdf' }, limits, controller.signal);
    expect(parseLoad()).toEqual({ running: 1, waiting: 1 });
    // Let the first worker start and get busy with the document.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const reason = new Error('turn cancelled');
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    await expect(running).rejects.toBe(reason);
    await untilIdle();
  });
});
