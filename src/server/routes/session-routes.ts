/**
 * Sessions over HTTP: create, search/paginate, read, list turns, delete (= archive: the session
 * disappears from lists, its running turn is cancelled, its sandbox goes back to the pool; the
 * retention setting purges it later with its replay log, documents and steps). Lists page by
 * cursor (ours) or offset (fleet-rlm (Python)'s clients) and say their totals either way.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createSessionBody,
  errorBody,
  listSessionsQuery,
  listTurnsQuery,
  sessionDetailSchema,
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
  // Read per request: a settings PATCH may change the planner.
  const plannerModel = () => context.lm.resolve('planner')?.model ?? null;
  return async (app) => {
    app.post(
      '/api/v1/sessions',
      {
        schema: { tags: ['sessions'], body: createSessionBody, response: { 201: sessionSchema } },
        config: { refuseWhileDraining: true },
      },
      async (request, reply) => {
        const session = await sessions.create(request.auth.identity, { title: request.body?.title });
        return reply.status(201).send(toSession(session.row, null, plannerModel()));
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
        const { query, search, status, limit, cursor, offset, include_archived } = request.query;
        const filter = { query: query ?? search, status, includeArchived: include_archived };
        const identity = request.auth.identity;
        const [page, total] = await Promise.all([
          sessions.list(identity, { ...filter, limit, cursor, offset }),
          sessions.count(identity, filter),
        ]);
        const model = plannerModel();
        return {
          items: page.items.map((session) => toSession(session, running(session.id), model)),
          next_cursor: page.nextCursor,
          total,
          offset: offset ?? 0,
          limit,
          has_more: page.nextCursor !== null,
        };
      },
    );

    app.get(
      '/api/v1/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          params: sessionParams,
          response: { 200: sessionDetailSchema, 404: errorBody },
        },
      },
      async (request) => {
        const session = await sessions.open(request.auth.identity, request.params.id);
        return {
          ...toSession(session.row, running(session.id), plannerModel()),
          turn_count: await session.countTurns(),
        };
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
        const { limit, after_index, offset } = request.query;
        const session = await sessions.open(request.auth.identity, request.params.id);
        // One more than asked says whether another page follows.
        const [turns, total] = await Promise.all([
          session.turns({ limit: limit + 1, afterIndex: after_index, offset }),
          session.countTurns(),
        ]);
        return {
          items: turns.slice(0, limit).map(toTurn),
          total,
          offset: offset ?? 0,
          limit,
          has_more: turns.length > limit,
        };
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
