/**
 * The request logger's options with every line passed through the redactor before it is
 * written: fastify logs each request's URL (`?access_token=…` included), errors with their
 * messages and causes, and handlers log what they were given. Redacting the finished JSON line
 * catches all of it in one place, whatever field a secret ended up in.
 */
import type { FastifyServerOptions } from 'fastify';
import type { SecretRedactor } from '../tracing/redaction.js';

type LoggerOption = FastifyServerOptions['logger'];

export function redactedLogger(logger: LoggerOption, redactor: SecretRedactor): LoggerOption {
  if (!logger) return logger;
  const options = logger === true ? {} : logger;
  const target = options.stream ?? process.stdout;
  return {
    ...options,
    stream: { write: (line: string) => void target.write(redactor.jsonText(line)) },
  };
}
