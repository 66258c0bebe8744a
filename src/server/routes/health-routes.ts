/**
 * `GET /health` (the process answers) and `GET /ready` (it can take turns): public, for probes.
 * Ready means not draining (see server-lifecycle.ts), a usable planner (set, and its
 * `provider/model` string parses) and a database that answers unless none is required; when not, `reasons` says why and how to fix it. A delegate
 * model that cannot be used does not stop turns: it is a `warning` (see runtime/model-checks.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { modelReadiness } from '../runtime/model-checks.js';
import type { ServerContext } from '../server-context.js';
import { DRAIN_REASON } from '../server-lifecycle.js';

const readiness = z.object({
  ready: z.boolean(),
  /** The planner is set and usable (the original's field). */
  planner_configured: z.boolean(),
  /** `invalid`: set, but its model string cannot be used (no provider, an unknown one). */
  planner: z.enum(['ready', 'missing', 'invalid']),
  database: z.enum(['ready', 'degraded']),
  database_required: z.boolean(),
  sandbox_provider: z.string(),
  /** The server is shutting down (SIGTERM): not ready, whatever else holds. */
  draining: z.boolean(),
  /** Why the server is not ready, each with its fix; empty when ready. */
  reasons: z.array(z.string()),
  /** Problems that do not stop turns (a delegate model that cannot be used), each with its fix. */
  warnings: z.array(z.string()),
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
        const { config } = context;
        const models = modelReadiness(config.lm);
        const databaseOk = await context.store.ping().catch(() => false);
        const required = config.database.required;
        const draining = context.lifecycle.draining;
        const reasons = [...(draining ? [DRAIN_REASON] : []), ...models.blocking];
        if (!databaseOk && required)
          reasons.push('the database does not answer and DATABASE_REQUIRED=true: check DATABASE_URL');
        const ready = reasons.length === 0;
        return reply.status(ready ? 200 : 503).send({
          ready,
          planner_configured: models.planner === 'ready',
          planner: models.planner,
          database: databaseOk ? 'ready' : 'degraded',
          database_required: required,
          sandbox_provider: config.sandbox.provider,
          draining,
          reasons,
          warnings: models.delegates.map((problem) => problem.problem),
        });
      },
    );
  };
}
