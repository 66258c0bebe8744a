/**
 * Documents: what reading one document costs the server's thread, the old way (`extractText` in
 * this thread, how every document was read before) against the new (`parseDocument`, a worker
 * with the default limits), for a normal PDF and DOCX and for each bomb of test/security: the
 * event loop's longest delay and its utilization while the document is read, and the wall time.
 * Two bombs are never read in this thread, since that kills the process (heap out of memory after
 * 80-90 s); the zip checks now refuse them in either path, so their worker figure stands alone.
 * The worker path is the built one (dist/, as the server runs it): under tsx a worker would spend
 * a second compiling TypeScript before it reads anything.
 */
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DOCUMENT_PARSE_DEFAULTS } from '../src/config/config.js';
import { DocumentError } from '../src/documents/document-error.js';
import { extractText } from '../src/documents/extract-text.js';
import type { parseDocument as ParseDocument } from '../src/documents/parse-document.js';
import {
  heavyDocx,
  heavyPdf,
  highRatioDocx,
  inflatingDocx,
  lyingDocx,
  normalDocx,
  normalPdf,
  slowPdf,
} from '../test/security/support/document-bombs.js';
import { type Figure, mb, ms } from './stats.js';

interface Case {
  label: string;
  name: string;
  build: () => Uint8Array | Promise<Uint8Array>;
  /** Whether reading it in this thread is survivable (false: the old path crashed the process). */
  inThread: boolean;
}

const CASES: Case[] = [
  {
    label: 'normal PDF',
    name: 'report.pdf',
    build: () => normalPdf(['Quarterly report', 'Page two']),
    inThread: true,
  },
  {
    label: 'normal DOCX',
    name: 'letter.docx',
    build: () => normalDocx(['Dear reader', 'Kind regards']),
    inThread: true,
  },
  { label: 'DOCX inflating to 400 MB', name: 'bomb.docx', build: () => inflatingDocx(400), inThread: false },
  { label: 'DOCX compressed 290:1', name: 'dense.docx', build: () => highRatioDocx(150), inThread: false },
  { label: 'DOCX with lying sizes', name: 'liar.docx', build: () => lyingDocx(300), inThread: true },
  { label: 'DOCX heavy to parse', name: 'heavy.docx', build: () => heavyDocx(300_000), inThread: true },
  { label: 'PDF slow to parse', name: 'slow.pdf', build: () => slowPdf({ pages: 250 }), inThread: true },
  { label: 'PDF heavy to parse', name: 'heavy.pdf', build: () => heavyPdf(), inThread: true },
];

interface Measured {
  maxDelayMs: number;
  utilization: number;
  wallMs: number;
  heapGrowthBytes: number;
  outcome: string;
}

async function measure(read: () => Promise<unknown>): Promise<Measured> {
  (globalThis as { gc?: () => void }).gc?.();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const heapBefore = process.memoryUsage().heapUsed;
  delay.enable();
  const utilizationBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const outcome = await read().then(
    () => 'read',
    (error: unknown) => (DocumentError.isInstance(error) ? error.code : String(error)),
  );
  const wallMs = performance.now() - started;
  const utilization = performance.eventLoopUtilization(utilizationBefore).utilization;
  const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;
  // The delay of a blocked loop is recorded when its timer finally runs: let it run.
  await new Promise((resolve) => setTimeout(resolve, 50));
  delay.disable();
  return { maxDelayMs: delay.max / 1e6, utilization, wallMs, heapGrowthBytes, outcome };
}

const describeRun = (run: Measured) =>
  `max delay ${ms(run.maxDelayMs)}, loop busy ${(run.utilization * 100).toFixed(0)}%, wall ${ms(run.wallMs)}, ` +
  `heap +${mb(Math.max(0, run.heapGrowthBytes))} (${run.outcome})`;

async function builtParseDocument(): Promise<typeof ParseDocument> {
  const entry = new URL('../dist/documents/parse-document.js', import.meta.url);
  if (!existsSync(entry))
    throw new Error('dist/ is missing: run `npm run build` before `npm run bench documents`');
  return ((await import(entry.href)) as { parseDocument: typeof ParseDocument }).parseDocument;
}

export async function benchDocuments(figures: Figure[]): Promise<void> {
  const parseDocument = await builtParseDocument();
  // Every worker run first: the in-thread runs leave gigabytes of garbage in this heap, and
  // collecting it would be charged to whatever is measured next.
  const runs: Array<{ item: Case; size: number; worker: Measured; inThread?: Measured }> = [];
  for (const item of CASES) {
    const bytes = await item.build();
    const worker = await measure(() =>
      parseDocument(bytes.slice(), { name: item.name }, DOCUMENT_PARSE_DEFAULTS),
    );
    runs.push({ item, size: bytes.byteLength, worker });
  }
  for (const run of runs) {
    if (!run.item.inThread) continue;
    const bytes = await run.item.build();
    run.inThread = await measure(() => extractText(bytes, { name: run.item.name }));
  }
  for (const { item, size, worker, inThread } of runs) {
    figures.push({
      bench: 'documents',
      figure: `${item.label} (${kb(size)}), worker`,
      value: describeRun(worker),
      target: 'max delay < 100 ms',
      ok: worker.maxDelayMs < 100,
    });
    if (!inThread) {
      figures.push({
        bench: 'documents',
        figure: `${item.label}, in thread (old)`,
        value: 'not run: kills the process',
      });
      continue;
    }
    figures.push({
      bench: 'documents',
      figure: `${item.label}, in thread (old)`,
      value: describeRun(inThread),
    });
    figures.push({
      bench: 'documents',
      figure: `${item.label}, in thread / worker`,
      value: `max delay ×${(inThread.maxDelayMs / worker.maxDelayMs).toFixed(1)}, wall ×${(inThread.wallMs / worker.wallMs).toFixed(2)}`,
    });
  }
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
