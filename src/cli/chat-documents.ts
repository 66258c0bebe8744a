/**
 * The chat's document commands: `/docs` lists the session's documents (command frame
 * `list_documents`); `/load` uploads a local file over HTTP, since the server cannot read the
 * client's disk, and otherwise asks the server to load a URL or activate an alias (command frame
 * `load_document`). Command results are parsed with the server's document schema.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import type { ExecutionClient } from '../client/execution-client.js';
import type { FleetHttpClient } from '../client/http-client.js';
import { documentSchema } from '../contract/http-schemas.js';
import type { ChatRenderer } from './chat-renderer.js';

const documentList = z.object({ documents: z.array(documentSchema) });
const loadResult = z.object({ added: z.boolean(), document: documentSchema });

export interface DocumentCommandContext {
  client: ExecutionClient;
  http: FleetHttpClient;
  renderer: ChatRenderer;
  sessionId: string;
}

export async function showDocuments({ client, renderer, sessionId }: DocumentCommandContext): Promise<void> {
  const { documents } = documentList.parse(await client.runCommand('list_documents', {}, sessionId));
  if (documents.length === 0) {
    renderer.note('no documents yet; /load one');
    return;
  }
  for (const document of documents) {
    const chars = document.text_chars.toLocaleString('en-US');
    renderer.info(`${document.active ? '*' : ' '} ${document.alias}  ${document.name}  ${chars} chars`);
  }
}

export async function loadDocument(
  { client, http, renderer, sessionId }: DocumentCommandContext,
  source: string,
  alias?: string,
): Promise<void> {
  const isLocalFile = await stat(source).then(
    (info) => info.isFile(),
    () => false,
  );
  let loaded: z.infer<typeof loadResult>;
  if (isLocalFile) {
    const bytes = await readFile(source);
    loaded = {
      added: true,
      document: await http.uploadFile(sessionId, { name: basename(source), bytes, alias }),
    };
  } else {
    const args = { source, ...(alias ? { alias } : {}) };
    loaded = loadResult.parse(await client.runCommand('load_document', args, sessionId));
  }
  const { document, added } = loaded;
  const chars = document.text_chars.toLocaleString('en-US');
  renderer.info(
    `${added ? 'loaded' : 'activated'} ${document.alias} (${document.name}, ${chars} chars); it is the active document`,
  );
}
