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

export function sessionRoutes(context: ServerContext): FastifyPluginAsyncZod {
  const { sessions, runner } = context;
  const running = (sessionId: string) => runner.runningTurn(sessionId)?.id ?? null;
  return async (app) => {
    app.post(
      '/api/v1/sessions',
      { schema: { tags: ['sessions'], body: createSessionBody, response: { 201: sessionSchema } } },
      async (request, reply) => {
        const session = await sessions.create(request.auth.identity, { title: request.body?.title });
        return reply.status(201).send(toSession(session.row, null));
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
        const page = await sessions.list(request.auth.identity, {
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
        const session = await sessions.open(request.auth.identity, request.params.id);
        return toSession(session.row, running(session.id));
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
        const session = await sessions.open(request.auth.identity, request.params.id);
        const turns = await session.turns({
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
        const session = await sessions.open(request.auth.identity, request.params.id);
        await runner.cancel(request.auth.identity, session.id);
        await sessions.archive(session);
        return reply.status(204).send(null);
      },
    );
  };
}
