/**
 * Keeps the catalogues honest, as fastify's `test/internals/errors.test.js` does for its codes:
 * every chat event kind and every error code has a description, every error code an HTTP status,
 * each is documented (the README's frame table, `docs/error-codes.md` with the same status), the
 * docs name nothing that does not exist, and each is produced somewhere in `src/` (read from the
 * source: an emit of that kind, a throw or send of that code). Consumers (the CLI, the client)
 * and the contract itself do not count as producers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAT_EVENTS, EVENT_KINDS } from '../../src/contract/chat-events.js';
import { ERROR_CODES } from '../../src/contract/error-codes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CODES = Object.keys(ERROR_CODES);
/** How `src/documents/document-error.ts` turns a DocumentError's kind into a catalogue code. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the source text searched for
const DOCUMENT_PREFIXING = '`document_${kind}`';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

const NOT_PRODUCERS = ['src/contract/', 'src/cli/', 'src/client/'];
/** Server-side source, keyed by path from the repository root. */
const producers = new Map(
  sourceFiles(join(ROOT, 'src'))
    .map((path) => [relative(ROOT, path), readFileSync(path, 'utf8')] as const)
    .filter(([path]) => !NOT_PRODUCERS.some((prefix) => path.startsWith(prefix))),
);
const allProducers = [...producers.values()].join('\n');

/** The first column of the markdown table whose header row starts with `| <header> |`. */
function tableKeys(markdown: string, header: string): string[] {
  const lines = markdown.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => line.startsWith(`| ${header} |`));
  expect(start, `a table headed "| ${header} |"`).toBeGreaterThanOrEqual(0);
  const keys: string[] = [];
  for (const line of lines.slice(start + 2)) {
    const cell = /^\| `(\w+)` \|/.exec(line);
    if (!cell) break;
    keys.push(cell[1]!);
  }
  return keys;
}

/** Every row of every table of `docs/error-codes.md` (one per group): code, status. */
function documentedCodes(): Array<{ code: string; status: number }> {
  const markdown = readFileSync(join(ROOT, 'docs', 'error-codes.md'), 'utf8');
  return [...markdown.matchAll(/^\| `(\w+)` \| (\d{3}) \| (.+) \|$/gm)].map((match) => {
    expect(match[3]!.trim(), `${match[1]} has a meaning in docs/error-codes.md`).not.toBe('');
    return { code: match[1]!, status: Number(match[2]) };
  });
}

describe('chat event kinds', () => {
  it('each has a description', () => {
    for (const kind of EVENT_KINDS) expect(CHAT_EVENTS[kind].description.length, kind).toBeGreaterThan(10);
  });

  it('are the rows of the README frame table, no more and no fewer', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(tableKeys(readme, 'kind').sort()).toEqual([...EVENT_KINDS].sort());
  });

  it('are each emitted somewhere in src/', () => {
    // `frame('kind'`, `chat('kind'`, `emitEvent(ref, turnId, 'kind'`: the emit calls.
    const emitted = new Set(
      [...allProducers.matchAll(/\b(?:frame|chat|emitEvent)\(\s*(?:[^,()]+,\s*){0,2}'(\w+)'/g)].map(
        (match) => match[1],
      ),
    );
    for (const kind of EVENT_KINDS) expect(emitted.has(kind), `${kind} is emitted`).toBe(true);
  });
});

describe('error codes', () => {
  it('each has a description', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES))
      expect(entry.description.length, code).toBeGreaterThan(10);
  });

  it('each has an HTTP error status', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(Number.isInteger(entry.status), code).toBe(true);
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
    }
  });

  it('are documented in docs/error-codes.md, with their status, and it lists no code the catalogue lacks', () => {
    const documented = documentedCodes();
    const codes = documented.map((row) => row.code);
    expect(new Set(codes).size, 'each code once').toBe(codes.length);
    expect([...codes].sort()).toEqual([...CODES].sort());
    for (const { code, status } of documented)
      expect(status, `${code}'s status in docs/error-codes.md`).toBe(
        ERROR_CODES[code as keyof typeof ERROR_CODES].status,
      );
  });

  it('are each produced somewhere in src/', () => {
    const documentError = producers.get('src/documents/document-error.ts') ?? '';
    const documents = [...producers]
      .filter(([path]) => path.startsWith('src/documents/') && !path.endsWith('document-error.ts'))
      .map(([, text]) => text)
      .join('\n');
    for (const code of CODES) {
      // Document errors are made with their kind, the code without its prefix; the class adds it.
      const fromDocuments =
        code.startsWith('document_') &&
        documentError.includes(DOCUMENT_PREFIXING) &&
        documents.includes(`'${code.slice('document_'.length)}'`);
      const produced =
        fromDocuments ||
        [...producers].some(
          ([path, text]) => path !== 'src/contract/error-codes.ts' && text.includes(`'${code}'`),
        );
      expect(produced, `${code} is produced`).toBe(true);
    }
  });
});
