/**
 * Issue 7, item 6 and the PDF part of item 10: hostile documents uploaded through the real
 * server's multipart route. Each bomb must be refused with 413/422 and a message naming the limit
 * and the setting that raises it, while `/health` keeps answering, this process's event loop is
 * never blocked for long and its heap stays bounded; normal documents still load afterwards.
 *
 * The server runs in this process, so the event-loop delay measured here is the server's. The file
 * runs on its own (`.serial.test.ts`, see vitest.config.ts) so other test files do not disturb it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHttpServer, type TestHttpServer } from '../documents/support/test-http-server.js';
import { api, type Harness, startHarness } from '../support/server-harness.js';
import {
  heavyDocx,
  heavyPdf,
  highRatioDocx,
  inflatingDocx,
  lyingDocx,
  normalDocx,
  normalPdf,
  slowPdf,
} from './support/document-bombs.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
// Margins, not speed targets (the real figures are in `npm run bench documents`): a blocked loop
// is measured in seconds, an unblocked one in milliseconds.
const MAX_LOOP_DELAY_MS = 1_000;
const MAX_HEAP_GROWTH_BYTES = 150 * 1024 * 1024;

/** A real server in this process, with its own limits and a session to add documents to. */
interface Server {
  harness: Harness;
  sessionId: string;
}

/** Starts a server for the enclosing `describe`, with the given settings on top of the test ones. */
function useServer(env: Record<string, string>): Server {
  const server = {} as Server;
  beforeAll(async () => {
    server.harness = await startHarness({ FLEET_URL_DOCUMENT_ALLOW_PRIVATE: 'true', ...env });
    server.sessionId = (await api(server.harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
  });
  afterAll(async () => {
    await server.harness?.close();
  });
  return server;
}

/** Serves the bombs for the URL source (the agent's `load_document` takes the same path). */
let files: TestHttpServer;
const served = new Map<string, Uint8Array>();

beforeAll(async () => {
  files = await startTestHttpServer((request, response) => {
    const bytes = served.get(request.url ?? '');
    response.writeHead(bytes ? 200 : 404, { 'content-type': 'application/pdf' });
    response.end(bytes);
  });
});

afterAll(async () => {
  await files?.close();
});

interface Watched {
  status: number;
  body: { code?: string; message?: string; text_chars?: number; id?: string };
  maxLoopDelayMs: number;
  /** Share of the time this process's event loop was busy (0..1). */
  loopUtilization: number;
  heapGrowthBytes: number;
  healthChecks: Array<{ status: number; ms: number }>;
}

/** Uploads one file as multipart `file` while watching the server (see `watched`). */
function uploadWatched(server: Server, bytes: Uint8Array, name: string, type: string): Promise<Watched> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  return watched(server, () =>
    fetch(`${server.harness.url}/api/v1/sessions/${server.sessionId}/documents`, {
      method: 'POST',
      body: form,
    }),
  );
}

/** Adds a document by URL (the server fetches it from `files`) while watching the server. */
function fetchWatched(server: Server, path: string): Promise<Watched> {
  return watched(server, () =>
    fetch(`${server.harness.url}/api/v1/sessions/${server.sessionId}/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: files.url(path) }),
    }),
  );
}

/** Sends one request while measuring the event loop, the heap and `/health`. */
async function watched(server: Server, send: () => Promise<Response>): Promise<Watched> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const heapTimer = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 25);
  const healthChecks: Watched['healthChecks'] = [];
  let uploading = true;
  const polling = (async () => {
    while (uploading) {
      const started = performance.now();
      const response = await fetch(`${server.harness.url}/health`);
      await response.arrayBuffer();
      healthChecks.push({ status: response.status, ms: performance.now() - started });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  delay.enable();
  const utilizationBefore = performance.eventLoopUtilization();
  try {
    const response = await send();
    const body = (await response.json()) as Watched['body'];
    uploading = false;
    const loopUtilization = performance.eventLoopUtilization(utilizationBefore).utilization;
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    await polling;
    return {
      status: response.status,
      body,
      maxLoopDelayMs: delay.max / 1e6,
      loopUtilization,
      heapGrowthBytes: heapPeak - heapBefore,
      healthChecks,
    };
  } finally {
    uploading = false;
    delay.disable();
    clearInterval(heapTimer);
  }
}

function expectServerUnharmed(watched: Watched): void {
  expect(watched.maxLoopDelayMs, 'event-loop delay while the document was parsed').toBeLessThan(
    MAX_LOOP_DELAY_MS,
  );
  expect(watched.heapGrowthBytes, 'server heap growth').toBeLessThan(MAX_HEAP_GROWTH_BYTES);
  expect(watched.healthChecks.length).toBeGreaterThan(0);
  for (const check of watched.healthChecks) {
    expect(check.status).toBe(200);
    expect(check.ms).toBeLessThan(MAX_LOOP_DELAY_MS);
  }
}

describe('zip limits and the worker heap', () => {
  // A small heap so the memory bombs stop quickly (the default is 1024 MB), and time to spare
  // (the default is 20 s) so the heap, not the clock, is what stops them.
  const server = useServer({ FLEET_DOCUMENT_WORKER_HEAP_MB: '256', FLEET_DOCUMENT_PARSE_TIMEOUT: '60' });

  it('refuses a 1.4 MB DOCX that inflates to 400 MB with 413, before inflating it', async () => {
    const watched = await uploadWatched(server, await inflatingDocx(400), 'bomb.docx', DOCX);
    expect(watched.status).toBe(413);
    expect(watched.body.code).toBe('document_too_large');
    expect(watched.body.message).toContain('FLEET_DOCUMENT_MAX_INFLATED_BYTES');
    expect(watched.body.message).toContain('bomb.docx');
    expect(watched.body.message).toContain('refused unread');
    expectServerUnharmed(watched);
  });

  it('refuses a DOCX whose zip headers understate its size with 422, while inflating it', async () => {
    const watched = await uploadWatched(server, await lyingDocx(300), 'liar.docx', DOCX);
    expect(watched.status).toBe(422);
    expect(watched.body.code).toBe('document_unsafe_archive');
    expect(watched.body.message).toContain('word/document.xml');
    expect(watched.body.message).toMatch(/more than the 19\.5 KB its zip directory declares/);
    expectServerUnharmed(watched);
  });

  it('refuses a DOCX compressed far past 100:1 with 422, naming the ratio setting', async () => {
    const watched = await uploadWatched(server, await highRatioDocx(150), 'dense.docx', DOCX);
    expect(watched.status).toBe(422);
    expect(watched.body.code).toBe('document_unsafe_archive');
    expect(watched.body.message).toContain('FLEET_DOCUMENT_MAX_COMPRESSION_RATIO');
    expectServerUnharmed(watched);
  });

  it('stops a DOCX within the zip limits that needs more memory than the worker has, with 413', async () => {
    const watched = await uploadWatched(server, await heavyDocx(300_000), 'heavy.docx', DOCX);
    expect(watched.status).toBe(413);
    expect(watched.body.code).toBe('document_parse_out_of_memory');
    expect(watched.body.message).toContain('256 MB');
    expect(watched.body.message).toContain('FLEET_DOCUMENT_WORKER_HEAP_MB');
    expectServerUnharmed(watched);
  });

  it('stops a 60 KB PDF that makes pdf.js build 30 million arrays, with 413', async () => {
    const heavy = heavyPdf();
    expect(heavy.byteLength).toBeLessThan(64 * 1024);
    served.set('/heavy.pdf', heavy);
    // By URL (the path that reached pdf.js before the Buffer fix), then as an upload.
    for (const send of [
      () => fetchWatched(server, '/heavy.pdf'),
      () => uploadWatched(server, heavy, 'heavy.pdf', 'application/pdf'),
    ]) {
      const watched = await send();
      expect(watched.status, JSON.stringify(watched.body)).toBe(413);
      expect(watched.body.code).toBe('document_parse_out_of_memory');
      expect(watched.body.message).toContain('heavy.pdf');
      expect(watched.body.message).toContain('FLEET_DOCUMENT_WORKER_HEAP_MB');
      expectServerUnharmed(watched);
    }
  });

  it('reads a PDF uploaded as multipart (pdf.js gets a plain Uint8Array, not the Buffer)', async () => {
    const pdf = normalPdf(['Quarterly report', 'Revenue (up) 12%']);
    const watched = await uploadWatched(server, pdf, 'report.pdf', 'application/pdf');
    expect(watched.status, JSON.stringify(watched.body)).toBe(201);
    expect(await documentText(server, watched.body.id!)).toBe('Quarterly report\n\nRevenue (up) 12%');
  });

  it('still loads a normal DOCX and PDF after the bombs, with their text', async () => {
    await expectNormalDocumentsLoad(server);
  });
});

describe('the time limit', () => {
  const server = useServer({ FLEET_DOCUMENT_PARSE_TIMEOUT: '4' });

  it('stops a 40 KB PDF that keeps pdf.js busy for half a minute at the time limit, with 422', async () => {
    const slow = slowPdf({ pages: 250 });
    expect(slow.byteLength).toBeLessThan(64 * 1024);
    served.set('/slow.pdf', slow);
    for (const send of [
      () => fetchWatched(server, '/slow.pdf'),
      () => uploadWatched(server, slow, 'slow.pdf', 'application/pdf'),
    ]) {
      const watched = await send();
      expect(watched.status, JSON.stringify(watched.body)).toBe(422);
      expect(watched.body.code).toBe('document_parse_timeout');
      expect(watched.body.message).toContain('slow.pdf');
      expect(watched.body.message).toContain('4 s');
      expect(watched.body.message).toContain('FLEET_DOCUMENT_PARSE_TIMEOUT');
      expectServerUnharmed(watched);
      // pdf.js yields between operators, so in the server's thread it was a CPU hog rather than
      // one long block: the server's loop must be mostly idle while another thread does the work.
      expect(watched.loopUtilization, 'event-loop utilization during the parse').toBeLessThan(0.5);
    }
  });

  it('still loads a normal DOCX and PDF after the timeouts, with their text', async () => {
    await expectNormalDocumentsLoad(server);
  });
});

async function expectNormalDocumentsLoad(server: Server): Promise<void> {
  const docx = await uploadWatched(
    server,
    normalDocx(['Minutes', 'Ship it & celebrate']),
    'minutes.docx',
    DOCX,
  );
  expect(docx.status, JSON.stringify(docx.body)).toBe(201);
  expect((await documentText(server, docx.body.id!)).trim()).toBe('Minutes\n\nShip it & celebrate');
  expectServerUnharmed(docx);
  const pdf = await uploadWatched(server, normalPdf(['After the storm']), 'after.pdf', 'application/pdf');
  expect(pdf.status, JSON.stringify(pdf.body)).toBe(201);
  expect(await documentText(server, pdf.body.id!)).toBe('After the storm');
  expectServerUnharmed(pdf);
}

/** The stored text of a document, read back from the store the route wrote it to. */
async function documentText(server: Server, documentId: string): Promise<string> {
  const text = await server.harness.server.store.getDocumentText(documentId);
  expect(text, `document ${documentId} has no stored text`).toBeDefined();
  return text!;
}
