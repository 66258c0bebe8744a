/**
 * Sessions over HTTP: create, search/paginate, read, list turns, delete (= archive: the session
 * disappears from lists, its running turn is cancelled, its sandbox goes back to the pool; the
 * retention setting purges it later with its replay log, documents and steps).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createSessionBody,
  errorBody,
  listSessionsQuery,
  listTurnsQuery,
  sessionPage,
  sessionParams,
  sessionSchema,
  toSession,
  toTurn,
  turnList,
} from '../../contract/http-schemas.js';
import type { ServerContext } from '../server-context.js';
import { ownedSession } from './owned-session.js';

export function sessionRoutes(context: ServerContext): FastifyPluginAsyncZod {
  const { store, runner } = context;
  const running = (sessionId: string) => runner.runningTurn(sessionId)?.id ?? null;
  return async (app) => {
    app.post(
      '/api/v1/sessions',
      { schema: { tags: ['sessions'], body: createSessionBody, response: { 201: sessionSchema } } },
      async (request, reply) => {
        const identity = request.auth.identity;
        await store.ensureIdentity(identity);
        const session = await store.createSession(identity, { title: request.body?.title });
        return reply.status(201).send(toSession(session, null));
      },
    );

    app.get(
      '/api/v1/sessions',
      {
        schema: {
          tags: ['sessions'],
          querystring: listSessionsQuery,
          response: { 200: sessionPage },
        },
      },
      async (request) => {
        const { query, limit, cursor, include_archived } = request.query;
        const page = await store.listSessions(request.auth.identity, {
          query,
          limit,
          cursor,
          includeArchived: include_archived,
        });
        return {
          items: page.items.map((session) => toSession(session, running(session.id))),
          next_cursor: page.nextCursor,
        };
      },
    );

    app.get(
      '/api/v1/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          params: sessionParams,
          response: { 200: sessionSchema, 404: errorBody },
        },
      },
      async (request) => {
        const session = await ownedSession(store, request.auth.identity, request.params.id);
        return toSession(session, running(session.id));
      },
    );

    app.get(
      '/api/v1/sessions/:id/turns',
      {
        schema: {
          tags: ['sessions'],
          params: sessionParams,
          querystring: listTurnsQuery,
          response: { 200: turnList, 404: errorBody },
        },
      },
      async (request) => {
        const session = await ownedSession(store, request.auth.identity, request.params.id);
        const turns = await store.listTurns(session.id, {
          limit: request.query.limit,
          afterIndex: request.query.after_index,
        });
        return { items: turns.map(toTurn) };
      },
    );

    app.delete(
      '/api/v1/sessions/:id',
      { schema: { tags: ['sessions'], params: sessionParams, response: { 204: z.null(), 404: errorBody } } },
      async (request, reply) => {
        const session = await ownedSession(store, request.auth.identity, request.params.id);
        await runner.cancel(request.auth.identity, session.id);
        await store.archiveSession(session.id, Date.now());
        await context.sandboxes.evict(session.id);
        return reply.status(204).send(null);
      },
    );
  };
}
