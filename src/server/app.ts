/**
 * The Fastify application: zod validation and serialization, OpenAPI (/openapi.json) with a
 * docs page (/docs), the origin policy (CORS, and foreign origins refused in local mode), request
 * ids on every response, authentication decided per matched route (`auth/route-access.ts`: every
 * route needs a signed-in user unless it declares itself public), the HTTP routes and the two
 * WebSockets. Error bodies and log lines pass the secret redactor. No listening here:
 * start-server.ts does that, and tests inject or listen on port 0.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { FleetError } from '../contract/fleet-error.js';
import { routeAccessHook } from './auth/route-access.js';
import { sendError } from './http-error.js';
import { OriginPolicy } from './origin-policy.js';
import { redactedLogger } from './redacted-logger.js';
import { RequestLogController } from './request-log.js';
import { authRoutes } from './routes/auth-routes.js';
import { documentRoutes } from './routes/document-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { runtimeRoutes } from './routes/runtime-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { traceRoutes } from './routes/trace-routes.js';
import { turnStepRoutes } from './routes/turn-step-routes.js';
import type { ServerContext } from './server-context.js';
import { eventsSocket } from './ws/events-socket.js';
import { executionSocket } from './ws/execution-socket.js';
import { SocketQuota } from './ws/socket-quota.js';

export type App = FastifyInstance;

/** Accept a caller's X-Request-ID when it is sane, else make one. */
function requestId(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}

/** A hop count as fastify applies it (its types only take the other forms). */
function trustProxyOption(value: boolean | number | string[]) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

export async function buildApp(
  context: ServerContext,
  logger: FastifyServerOptions['logger'] = false,
): Promise<App> {
  const { config, redactor } = context;
  const app = Fastify({
    logger: redactedLogger(logger, redactor),
    logController: new RequestLogController(),
    trustProxy: trustProxyOption(config.server.trustProxy),
    genReqId: (request) => requestId(request.headers['x-request-id']),
    bodyLimit: config.server.maxUploadBytes,
    // Sockets stay open during a turn; shutdown must not wait for them.
    forceCloseConnections: true,
    // Errors the router raises before any route runs (a malformed URL, a path parameter over
    // its length limit) get the same error body as every other error.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, redactor));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new FleetError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
      redactor,
    ),
  );
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'fleet-rlm',
        version: context.version,
        description: 'Chat with an agent that delegates long-context work to Recursive Language Models.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(async (docs) => {
    // The docs page and its assets are public, like /openapi.json they describe.
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
  const origins = new OriginPolicy({ server: config.server, enforce: config.appEnv === 'local' });
  await app.register(cors, {
    delegator: (request, callback) =>
      callback(null, {
        origin: origins.corsOrigin(request),
        methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
        exposedHeaders: ['x-request-id'],
      }),
  });
  await app.register(multipart, { limits: { fileSize: config.server.maxUploadBytes, files: 1, fields: 4 } });
  // The hard cap only protects memory; frames over WS_MAX_FRAME_BYTES but under it get an error
  // envelope and the connection stays usable.
  await app.register(websocket, {
    options: { maxPayload: Math.max(config.server.maxFrameBytes * 4, 4 * 1024 * 1024) },
  });

  app.decorateRequest('auth', null as never);
  // Origins first: a foreign web page is refused before anything looks at its credentials.
  app.addHook('onRequest', origins.hook());
  app.addHook(
    'onRequest',
    routeAccessHook({
      authenticator: context.authenticator,
      auth: config.auth,
      metricsToken: config.server.metricsToken,
    }),
  );
  // After auth, so a caller without credentials is told that first, as at any other time.
  app.addHook('onRequest', context.lifecycle.refuseWhileDrainingHook());

  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () =>
    app.swagger(),
  );
  await app.register(healthRoutes(context));
  await app.register(authRoutes(context));
  await app.register(sessionRoutes(context));
  await app.register(turnStepRoutes(context));
  await app.register(documentRoutes(context));
  await app.register(traceRoutes(context));
  await app.register(runtimeRoutes(context.runtime));
  await app.register(metricsRoutes(context.metrics.registry));
  const sockets = new SocketQuota(config.quotas.socketsPerUser);
  await app.register(executionSocket(context, sockets));
  await app.register(eventsSocket(context, sockets));
  return app;
}
