/**
 * The one error body every route answers with — `{code, message, detail, details?, request_id}`,
 * `detail` repeating the message for fleet-rlm (Python)'s clients, which read FastAPI's — and
 * the mapping from an error to it: a `FleetError` by its catalogue code and that code's status
 * (`contract/error-codes.ts`, the one table of statuses); lower layers never pick statuses.
 * Messages and details pass the secret redactor on the way out: they quote what lower layers
 * and remote services said.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, statusOf } from '../contract/error-codes.js';
import { FleetError } from '../contract/fleet-error.js';
import { SecretRedactor } from '../tracing/redaction.js';
import { AuthError } from './auth/auth-error.js';

interface Mapped {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

const INTERNAL: Mapped = {
  status: statusOf('internal_error'),
  code: 'internal_error',
  message: 'an unexpected server error; see the server log with this request id',
};

/**
 * A FleetError answers with its code and the catalogue's status for it; Fastify's own errors
 * (schema validation, body limits, bad headers) with theirs. Anything else, and a FleetError
 * that is internal, is a 500 that says nothing more: its message stays in the server log.
 */
export function mapError(error: unknown): Mapped {
  if (FleetError.isInstance(error)) {
    if (error.code === 'internal_error') return INTERNAL;
    return {
      status: statusOf(error.code),
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return {
      status: statusOf('invalid_request'),
      code: 'invalid_request',
      message: 'the request does not match the API schema',
      details: {
        issues: error.validation.map((issue) => ({ path: issue.instancePath, message: issue.message })),
      },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fastifyError.statusCode === 413) {
    return {
      status: statusOf('payload_too_large'),
      code: 'payload_too_large',
      message: fastifyError.message ?? 'the request body is too large',
    };
  }
  // Fastify's client errors keep the status Fastify chose (415 for a content type it cannot
  // parse, say): they are Fastify's answers, not ours.
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      code: 'bad_request',
      message: fastifyError.message ?? 'bad request',
    };
  }
  return INTERNAL;
}

/** Without the server's configured secrets: the well-known key and token patterns only. */
const PATTERNS_ONLY = new SecretRedactor();

export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  redactor: SecretRedactor = PATTERNS_ONLY,
): FastifyReply {
  const mapped = mapError(error);
  if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
  if (AuthError.isInstance(error)) reply.header('www-authenticate', error.wwwAuthenticate);
  const message = redactor.text(mapped.message);
  return reply.status(mapped.status).send({
    code: mapped.code,
    message,
    detail: message,
    ...(mapped.details ? { details: redactor.value(mapped.details) } : {}),
    request_id: request.id,
  });
}
