/** `GET /health` (the process answers) and `GET /ready` (it can take turns): public, for probes. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServerContext } from '../server-context.js';

const readiness = z.object({
  ready: z.boolean(),
  planner_configured: z.boolean(),
  planner: z.enum(['ready', 'missing']),
  database: z.enum(['ready', 'degraded']),
  database_required: z.boolean(),
  sandbox_provider: z.string(),
});

export function healthRoutes(context: ServerContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/health',
      {
        schema: { tags: ['health'], response: { 200: z.object({ ok: z.boolean(), version: z.string() }) } },
        config: { access: 'public' },
      },
      async () => ({ ok: true, version: context.version }),
    );
    app.get(
      '/ready',
      {
        schema: {
          tags: ['health'],
          response: { 200: readiness, 503: readiness },
        },
        config: { access: 'public' },
      },
      async (_request, reply) => {
        const plannerConfigured = context.lm.resolve('planner') !== undefined;
        const databaseOk = await context.store.ping().catch(() => false);
        const required = context.config.database.required;
        const ready = plannerConfigured && (databaseOk || !required);
        return reply.status(ready ? 200 : 503).send({
          ready,
          planner_configured: plannerConfigured,
          planner: plannerConfigured ? 'ready' : 'missing',
          database: databaseOk ? 'ready' : 'degraded',
          database_required: required,
          sandbox_provider: context.config.sandbox.provider,
        });
      },
    );
  };
}
