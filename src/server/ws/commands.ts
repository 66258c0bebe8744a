/**
 * `command {command, args}` frames on `/ws/execution`: small session operations outside a turn,
 * answered with `command_result` (or an `error` envelope with a clear code). Commands act on the
 * caller's own session, opened through the sessions module like every other entry point.
 */
import { z } from 'zod';
import { toDocument } from '../../contract/http-schemas.js';
import { DocumentError } from '../../documents/document-error.js';
import { CORE_MEMORY_SECTIONS } from '../../sessions/core-memory.js';
import type { OwnedSession } from '../../sessions/owned-session.js';
import type { Identity } from '../../store/store.js';
import { TurnError } from '../../turns/turn-error.js';
import type { ServerContext } from '../server-context.js';

type Handler = (
  context: ServerContext,
  session: OwnedSession,
  args: Record<string, unknown>,
) => Promise<unknown>;

function parse<T extends z.ZodType>(schema: T, args: Record<string, unknown>): z.infer<T> {
  const parsed = schema.safeParse(args);
  if (!parsed.success)
    throw new TurnError('invalid_frame', `bad command arguments: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A Map, not an object: a command name is never looked up on a prototype (`constructor`, ...). */
export const COMMANDS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  [
    'list_documents',
    async (_context, session) => {
      const documents = await session.documents.list();
      const active = session.documents.activeDocumentId;
      return { documents: documents.map((document) => toDocument(document, active)) };
    },
  ],
  [
    'set_active_document',
    async (_context, session, args) => {
      const { document } = parse(z.object({ document: z.string().min(1) }), args);
      const found = await session.documents.resolve(document);
      if (!found) throw new TurnError('invalid_frame', `no document '${document}' in this session`);
      await session.documents.activate(found);
      return { document: toDocument(found, found.id) };
    },
  ],
  [
    'load_document',
    async (context, session, args) => {
      const { source, alias } = parse(
        z.object({ source: z.string().min(1), alias: z.string().max(48).optional() }),
        args,
      );
      const { config } = context;
      const { document, added } = await session.documents.load(source, alias, {
        ...config.documents,
        maxUploadBytes: config.server.maxUploadBytes,
        workspaceRoot: session.workspaceRoot,
      });
      return { added, document: toDocument(document, document.id) };
    },
  ],
  ['get_core_memory', async (_context, session) => ({ core_memory: session.coreMemory() })],
  [
    'edit_core_memory',
    async (_context, session, args) => {
      const { section, content, mode } = parse(
        z.object({
          section: z.enum(CORE_MEMORY_SECTIONS as [string, ...string[]]),
          content: z.string(),
          mode: z.enum(['replace', 'append']).default('replace'),
        }),
        args,
      );
      const edit = await session.editCoreMemory(
        section as (typeof CORE_MEMORY_SECTIONS)[number],
        content,
        mode,
      );
      if (!edit.ok) throw new TurnError('invalid_frame', edit.error);
      return { core_memory: edit.memory };
    },
  ],
  [
    'reset_sandbox',
    async (context, session) => {
      if (context.runner.runningTurn(session.id))
        throw new TurnError('turn_in_progress', 'a turn is running; cancel it first');
      await session.releaseSandbox();
      return { reset: true };
    },
  ],
]);

export async function runCommand(
  context: ServerContext,
  identity: Identity,
  sessionId: string | undefined,
  command: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  const handler = COMMANDS.get(command);
  if (!handler)
    throw new TurnError(
      'unknown_command',
      `unknown command '${command}'; known: ${[...COMMANDS.keys()].join(', ')}`,
    );
  if (!sessionId) throw new TurnError('invalid_frame', 'this command needs a session_id');
  const session = await context.sessions.open(identity, sessionId);
  try {
    return await handler(context, session, args);
  } catch (error) {
    // A command that could not read a document failed as a command; its kind says why.
    if (DocumentError.isInstance(error))
      throw new TurnError('command_failed', error.message, { reason: error.kind }, { cause: error });
    throw error;
  }
}
