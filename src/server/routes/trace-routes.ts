/**
 * Traces over HTTP: a session's traces (one per turn, MLflow or the embedded store), one trace as
 * a span tree, and feedback on a turn's answer. A trace is only shown to the owner of its session.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { FleetError } from '../../contract/fleet-error.js';
import { errorBody, sessionParams } from '../../contract/http-schemas.js';
import {
  feedbackBody,
  feedbackResult,
  listTracesQuery,
  traceDetailSchema,
  tracePage,
  traceParams,
} from '../../contract/trace-schemas.js';
import type { ServerContext } from '../server-context.js';

export function traceRoutes(context: ServerContext): FastifyPluginAsyncZod {
  const { sessions, traces, feedback } = context;
  return async (app) => {
    app.get(
      '/api/v1/sessions/:id/traces',
      {
        schema: {
          tags: ['traces'],
          params: sessionParams,
          querystring: listTracesQuery,
          response: { 200: tracePage, 400: errorBody, 404: errorBody },
        },
      },
      async (request) => {
        const session = await sessions.open(request.auth.identity, request.params.id);
        const page = await traces.listSessionTraces(session.id, request.query);
        return { items: page.items, next_cursor: page.nextCursor, source: page.source };
      },
    );

    app.get(
      '/api/v1/traces/:trace_id',
      {
        schema: {
          tags: ['traces'],
          params: traceParams,
          response: { 200: traceDetailSchema, 404: errorBody },
        },
      },
      async (request) => {
        const { trace_id: traceId } = request.params;
        const detail = await traces.getTrace(traceId);
        // Someone else's trace is answered exactly like an unknown one.
        const owner = detail && (await sessions.find(request.auth.identity, detail.summary.session_id));
        if (!detail || !owner) throw new FleetError('trace_not_found', `no trace ${traceId}`);
        return { trace: detail.summary, spans: detail.spans, span_count: detail.spanCount };
      },
    );

    app.post(
      '/api/v1/traces/feedback',
      {
        schema: {
          tags: ['traces'],
          body: feedbackBody,
          response: { 200: feedbackResult, 400: errorBody, 404: errorBody, 503: errorBody },
        },
      },
      async (request) =>
        feedback.record(request.body, (turnId) => sessions.findTurn(request.auth.identity, turnId)),
    );
  };
}
