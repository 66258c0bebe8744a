/**
 * `GET /metrics`: the process metrics in the Prometheus text format 0.0.4: counts, never
 * content. Open to scrapers as Prometheus expects, unless METRICS_TOKEN is set: then only
 * `Authorization: Bearer <METRICS_TOKEN>` gets them (`auth/route-access.ts`, access `scraper`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from '../../tracing/metrics.js';

export function metricsRoutes(registry: MetricsRegistry): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/metrics',
      { schema: { tags: ['health'] }, config: { access: 'scraper' } },
      async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(registry.render()),
    );
  };
}
