/**
 * `GET /metrics`: the process metrics in the Prometheus text format 0.0.4. Outside `/api/`, so
 * a scraper needs no token (as is usual for Prometheus); it shows counts, never content.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from '../../tracing/metrics.js';

export function metricsRoutes(registry: MetricsRegistry): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/metrics', { schema: { tags: ['health'] } }, async (_request, reply) =>
      reply.type(PROMETHEUS_CONTENT_TYPE).send(registry.render()),
    );
  };
}
