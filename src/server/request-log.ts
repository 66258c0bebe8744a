/**
 * Fastify's per-request log lines, with probes and status polling (`/health`, `/ready`,
 * `/api/v1/runtime/status`, `/metrics`) written at debug instead of info: a load balancer or a
 * Workbench polling every second would otherwise fill the info log with them. Errors on those
 * routes keep their level.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** Routes (as matched, so a query string changes nothing) whose request lines are debug. */
const POLLED_ROUTES = new Set(['/health', '/ready', '/api/v1/runtime/status', '/metrics']);

export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (!isPolled(request)) super.incomingRequest(request, reply);
    else if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error || !isPolled(request)) super.requestCompleted(error, request, reply);
    else if (!this.isLogDisabled(request)) {
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

function isPolled(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && POLLED_ROUTES.has(route);
}
