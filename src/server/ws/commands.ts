/**
 * `command {command, args}` frames on `/ws/execution`: small session operations outside a turn,
 * answered with `command_result` (or an `error` envelope with a clear code). The names come from
 * the client, so they are looked up in a Map: only the commands defined here exist, never a name
 * an object inherits (`constructor`, `__proto__`, `toString`, ...).
 */
import { z } from 'zod';
import { CORE_MEMORY_SECTIONS, editCoreMemory, effectiveCoreMemory } from '../../agent/core-memory.js';
import { SessionDocuments } from '../../agent/session-documents.js';
import { toDocument } from '../../contract/http-schemas.js';
import type { Identity, SessionRow } from '../../store/store.js';
import { TurnError } from '../../turns/turn-error.js';
import type { ServerContext } from '../server-context.js';

type Handler = (
  context: ServerContext,
  session: SessionRow,
  args: Record<string, unknown>,
) => Promise<unknown>;

function parse<T extends z.ZodType>(schema: T, args: Record<string, unknown>): z.infer<T> {
  const parsed = schema.safeParse(args);
  if (!parsed.success)
    throw new TurnError('invalid_frame', `bad command arguments: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function documentsOf(context: ServerContext, session: SessionRow): SessionDocuments {
  return new SessionDocuments(context.store, session.id, session.activeDocumentId);
}

const HANDLERS: Record<string, Handler> = {
  list_documents: async (context, session) => {
    const documents = await context.store.listDocuments(session.id);
    return { documents: documents.map((document) => toDocument(document, session.activeDocumentId)) };
  },
  set_active_document: async (context, session, args) => {
    const { document } = parse(z.object({ document: z.string().min(1) }), args);
    const documents = documentsOf(context, session);
    const found = await documents.resolve(document);
    if (!found) throw new TurnError('invalid_frame', `no document '${document}' in this session`);
    await documents.activate(found);
    return { document: toDocument(found, found.id) };
  },
  load_document: async (context, session, args) => {
    const { source, alias } = parse(
      z.object({ source: z.string().min(1), alias: z.string().max(48).optional() }),
      args,
    );
    const { config } = context;
    const { document, added } = await documentsOf(context, session).load(source, alias, {
      ...config.documents,
      maxUploadBytes: config.server.maxUploadBytes,
      workspaceRoot: context.workspaceRoot(session.workspaceId, session.id),
    });
    return { added, document: toDocument(document, document.id) };
  },
  get_core_memory: async (_context, session) => ({ core_memory: effectiveCoreMemory(session.coreMemory) }),
  edit_core_memory: async (context, session, args) => {
    const { section, content, mode } = parse(
      z.object({
        section: z.enum(CORE_MEMORY_SECTIONS as [string, ...string[]]),
        content: z.string(),
        mode: z.enum(['replace', 'append']).default('replace'),
      }),
      args,
    );
    const edit = editCoreMemory(
      session.coreMemory,
      section as (typeof CORE_MEMORY_SECTIONS)[number],
      content,
      mode,
    );
    if (!edit.ok) throw new TurnError('invalid_frame', edit.error);
    await context.store.updateSession(session.id, { coreMemory: edit.memory });
    return { core_memory: edit.memory };
  },
  reset_sandbox: async (context, session) => {
    if (context.runner.runningTurn(session.id))
      throw new TurnError('turn_in_progress', 'a turn is running; cancel it first');
    await context.sandboxes.evict(session.id);
    return { reset: true };
  },
};

/** The commands by name: `Object.entries` takes own keys only, and a Map inherits none. */
export const COMMANDS: ReadonlyMap<string, Handler> = new Map(Object.entries(HANDLERS));

/** The longest command name echoed back in an error. */
const MAX_ECHOED_NAME = 64;

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
      `unknown command '${command.slice(0, MAX_ECHOED_NAME)}'; known: ${[...COMMANDS.keys()].join(', ')}`,
    );
  if (!sessionId) throw new TurnError('invalid_frame', 'this command needs a session_id');
  const session = await context.store.getSession(sessionId);
  if (!session || session.workspaceId !== identity.workspaceId || session.userId !== identity.userId) {
    throw new TurnError('session_not_found', `no session ${sessionId}`);
  }
  return handler(context, session, args);
}
