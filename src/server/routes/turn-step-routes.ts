/**
 * A turn's execution-step tree over HTTP: `GET /api/v1/sessions/{id}/turns/{turn_id}/steps`,
 * read from the durable step record, so a finished turn's trajectory stays readable after the
 * replay log has trimmed its frames. The steps are the ones the passive stream sent live, in the
 * same shape and order, with `parent_id` linking the tree. Ownership goes through `sessions/`:
 * someone else's session, or a turn of another session, answers 404 like an unknown one.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBody, toStep, turnParams, turnStepList } from '../../contract/http-schemas.js';
import type { ServerContext } from '../server-context.js';

export function turnStepRoutes(context: ServerContext): FastifyPluginAsyncZod {
  const { sessions } = context;
  return async (app) => {
    app.get(
      '/api/v1/sessions/:id/turns/:turn_id/steps',
      {
        schema: {
          tags: ['sessions'],
          description: 'The execution steps of one turn of the session, in the order they happened.',
          params: turnParams,
          response: { 200: turnStepList, 404: errorBody },
        },
      },
      async (request) => {
        const session = await sessions.open(request.auth.identity, request.params.id);
        const steps = await session.steps(request.params.turn_id);
        return { items: steps.map(toStep) };
      },
    );
  };
}
