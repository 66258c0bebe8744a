/**
 * The session's documents as tools: `load_document` (a URL, an uploaded document, or a path in
 * the session's workspace — never an arbitrary path on the server), `list_documents`,
 * `read_document` (a slice) and `search_document` (a regex, run in the sandbox so a pathological
 * pattern is interrupted instead of blocking the server).
 */
import { z } from 'zod';
import { DocumentError } from '../../documents/document-error.js';
import type { DocumentMeta } from '../../store/store.js';
import { errorMessage } from '../../util/text.js';
import type { ToolContext } from './tool-context.js';
import { agentTool, type ToolResult, toolFailure, toolSuccess } from './tool-result.js';

const READ_MAX = 20_000;
const SEARCH_TIMEOUT_MS = 10_000;
const DOCS_CONTEXT = 'documents';

function describe(document: DocumentMeta, activeId: string | null): string {
  const active = document.id === activeId ? ' (active)' : '';
  return `${document.alias}${active}: ${document.name}, ${document.textChars.toLocaleString('en-US')} chars, ${document.mimeType}, from ${document.source}`;
}

async function loadDocument(
  context: ToolContext,
  source: string,
  alias: string | undefined,
): Promise<ToolResult<string>> {
  const { document, added } = await context.session.documents.load(
    source,
    alias,
    context.documentLimits,
    context.signal,
  );
  const size = `${document.textChars.toLocaleString('en-US')} chars`;
  return toolSuccess(
    added
      ? `Loaded '${document.alias}' (${document.name}, ${size}, ${document.mimeType}). It is now the active document.`
      : `'${document.alias}' is now the active document (${size}).`,
  );
}

async function search(
  context: ToolContext,
  document: DocumentMeta,
  pattern: string,
  limit: number,
): Promise<ToolResult<string>> {
  const { sandbox, boundDocuments } = await context.sandbox();
  const variable = `doc_${document.id.replace(/\W/g, '')}`;
  if (!boundDocuments.has(document.id)) {
    await sandbox.setVariable(DOCS_CONTEXT, variable, await context.session.documents.text(document));
    boundDocuments.add(document.id);
  }
  await sandbox.setVariable(DOCS_CONTEXT, 'search_pattern', pattern);
  const result = await sandbox.execute({
    context: DOCS_CONTEXT,
    timeoutMs: Math.min(SEARCH_TIMEOUT_MS, context.rlmBudgets.executeTimeoutMs),
    signal: context.signal,
    code: `import re
def _search(text, pattern, limit):
    try:
        rx = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as error:
        return {'error': f'invalid pattern: {error}'}
    found, total = [], 0
    for match in rx.finditer(text):
        total += 1
        if len(found) < limit:
            start = text.rfind('\\n', 0, match.start()) + 1
            end = text.find('\\n', match.end())
            line = text[start:end if end >= 0 else len(text)]
            found.append({'line': text.count('\\n', 0, match.start()) + 1, 'text': line[:300]})
        if total >= 10000:
            break
    return {'matches': found, 'total': total}
SUBMIT(result=_search(${variable}, search_pattern, ${limit}))`,
  });
  if (result.error) {
    const why =
      result.error.type === 'TimeoutError'
        ? 'the search took too long (simplify the pattern)'
        : result.error.message;
    return toolFailure(why);
  }
  const outcome = result.final?.result as {
    error?: string;
    matches?: Array<{ line: number; text: string }>;
    total?: number;
  };
  if (outcome.error) return toolFailure(outcome.error);
  const matches = outcome.matches ?? [];
  if (matches.length === 0) return toolSuccess(`No match for /${pattern}/ in '${document.alias}'.`);
  const more =
    (outcome.total ?? 0) > matches.length
      ? `\n(${outcome.total} matches in all; showing ${matches.length})`
      : '';
  return toolSuccess(`${matches.map((match) => `line ${match.line}: ${match.text}`).join('\n')}${more}`);
}

export function documentTools(context: ToolContext) {
  const fail = (error: unknown) =>
    toolFailure(DocumentError.isInstance(error) ? error.message : errorMessage(error));
  return {
    load_document: agentTool({
      description:
        'Load a document into this session and make it the active one: an http(s) URL, the alias/name of an uploaded document, or a path inside the session workspace.',
      inputSchema: z.object({
        source: z.string().min(1),
        alias: z.string().min(1).max(48).optional().describe('a short name to refer to it by'),
      }),
      execute: async ({ source, alias }) => loadDocument(context, source, alias).catch(fail),
    }),
    list_documents: agentTool({
      description: 'List the documents of this session: alias, name, size, and which one is active.',
      inputSchema: z.object({}),
      execute: async () => {
        const documents = await context.session.documents.list();
        if (documents.length === 0) return toolSuccess('No documents yet.');
        return toolSuccess(
          documents
            .map((document) => describe(document, context.session.documents.activeDocumentId))
            .join('\n'),
        );
      },
    }),
    read_document: agentTool({
      description: `Read a slice of a document (at most ${READ_MAX} characters). For questions over a long document use delegate_to_rlm instead of paging through it.`,
      inputSchema: z.object({
        alias: z.string().optional().describe('the active document by default'),
        start: z.number().int().nonnegative().default(0),
        length: z.number().int().positive().max(READ_MAX).default(4000),
      }),
      execute: async ({ alias, start, length }) => {
        const document = await context.session.documents.resolve(alias);
        if (!document) return toolFailure(alias ? `no document '${alias}'` : 'no active document');
        const text = await context.session.documents.text(document);
        const end = Math.min(text.length, start + length);
        return toolSuccess(
          `[${document.alias}: characters ${start}-${end} of ${text.length}]\n${text.slice(start, end)}`,
        );
      },
    }),
    search_document: agentTool({
      description:
        'Find lines of a document matching a regular expression (case-insensitive); returns line numbers and lines.',
      inputSchema: z.object({
        pattern: z.string().min(1),
        alias: z.string().optional().describe('the active document by default'),
        max_matches: z.number().int().positive().max(200).default(20),
      }),
      execute: async ({ pattern, alias, max_matches }) => {
        const document = await context.session.documents.resolve(alias);
        if (!document) return toolFailure(alias ? `no document '${alias}'` : 'no active document');
        return search(context, document, pattern, max_matches).catch(fail);
      },
    }),
  };
}
