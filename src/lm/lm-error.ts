/**
 * The one error type of the model-roles layer, and the translation of AI SDK errors into it.
 * Callers (the RLM engine, the agent, the server) branch on `kind` and never see AI SDK error
 * classes; the original error stays reachable as `cause`. Each kind has its catalogue code (a
 * failed turn's `error` event carries it). Messages say how to fix the problem where there is
 * something to fix, naming the environment variable involved.
 */
import { APICallError, RetryError } from 'ai';
import type { ErrorCode } from '../contract/error-codes.js';
import { FleetError } from '../contract/fleet-error.js';
import { redactText } from '../tracing/redaction.js';
import type { ModelRole } from './lm-client.js';

export type LmErrorKind =
  | 'not_configured'
  | 'timeout'
  | 'rate_limited'
  | 'http_error'
  | 'network'
  | 'aborted'
  | 'bad_response';

/** The environment variables behind each role, for fix-it messages. Read only by `config/`. */
export const ROLE_ENV: Record<ModelRole, { model: string; apiKey: string; apiBase: string }> = {
  planner: { model: 'DSPY_LM_MODEL', apiKey: 'DSPY_LLM_API_KEY', apiBase: 'DSPY_LM_API_BASE' },
  delegate: {
    model: 'DSPY_DELEGATE_LM_MODEL',
    apiKey: 'DSPY_DELEGATE_LM_API_KEY',
    apiBase: 'DSPY_DELEGATE_LM_API_BASE',
  },
  delegate_small: {
    model: 'DSPY_DELEGATE_LM_SMALL_MODEL',
    apiKey: 'DSPY_DELEGATE_LM_SMALL_API_KEY',
    apiBase: 'DSPY_DELEGATE_LM_SMALL_API_BASE',
  },
};

/** The wire code of each kind: a missing model is the planner's (the roles fall back to it). */
const CODES = {
  not_configured: 'planner_missing',
  timeout: 'llm_timeout',
  rate_limited: 'llm_rate_limited',
  http_error: 'llm_error',
  network: 'llm_error',
  aborted: 'llm_error',
  bad_response: 'llm_error',
} as const satisfies Record<LmErrorKind, ErrorCode>;

export interface LmErrorOptions {
  statusCode?: number;
  role?: ModelRole;
  model?: string;
  cause?: unknown;
}

export class LmError extends FleetError<(typeof CODES)[LmErrorKind]> {
  static override readonly errorName = 'LmError';
  /** The provider's HTTP status, when it answered with one (not ours: see `code`). */
  readonly statusCode?: number;
  readonly role?: ModelRole;
  readonly model?: string;

  constructor(
    readonly kind: LmErrorKind,
    message: string,
    options: LmErrorOptions = {},
  ) {
    super(CODES[kind], message, { cause: options.cause });
    this.statusCode = options.statusCode;
    this.role = options.role;
    this.model = options.model;
  }
}

export interface CallContext {
  role: ModelRole;
  model: string;
  timeoutMs: number;
  /** Set when the per-call timeout fired; decided from the signals, not from error names. */
  timedOut: boolean;
  /** Set when the caller's own signal aborted. */
  aborted: boolean;
  /**
   * The configured API keys: a provider that echoes the key in its error body must not put it
   * in a message that travels on (tool results, frames, the planner's prompt, logs).
   */
  secrets?: readonly string[];
}

/**
 * Turns whatever `generateText` threw into an `LmError`, keeping the original as `cause`; the
 * message never carries a configured key.
 */
export function toLmError(error: unknown, call: CallContext): LmError {
  if (LmError.isInstance(error)) return error;
  const translated = translate(error, call);
  const message = redactText(translated.message, call.secrets);
  if (message === translated.message) return translated;
  return new LmError(translated.kind, message, {
    statusCode: translated.statusCode,
    role: translated.role,
    model: translated.model,
    cause: error,
  });
}

function translate(error: unknown, call: CallContext): LmError {
  const who = `${call.model} (${call.role})`;
  const options = { role: call.role, model: call.model, cause: error };
  // The signals are checked before the error: a timeout can surface as an AbortError from the
  // fetch, from the backoff delay between retries, or wrapped in a RetryError.
  if (call.timedOut) {
    return new LmError(
      'timeout',
      `${who} did not answer within ${call.timeoutMs} ms; raise RLM_LM_TIMEOUT (seconds) or use a faster model`,
      options,
    );
  }
  if (call.aborted) return new LmError('aborted', `the call to ${who} was cancelled`, options);

  const attempts = RetryError.isInstance(error) ? error.errors.length : 1;
  const last = RetryError.isInstance(error) ? error.lastError : error;
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (APICallError.isInstance(last))
    return fromApiCallError(last, who, after, { ...options, role: call.role });
  const detail = last instanceof Error ? last.message : String(last);
  return new LmError(
    'bad_response',
    `${who} gave a response that could not be used${after}: ${detail}`,
    options,
  );
}

function fromApiCallError(
  error: APICallError,
  who: string,
  after: string,
  options: LmErrorOptions & { role: ModelRole },
): LmError {
  const status = error.statusCode;
  const env = ROLE_ENV[options.role];
  if (status === undefined) {
    return new LmError(
      'network',
      `cannot reach ${who} at ${error.url}${after}: ${error.message}; check ${env.apiBase} and that the server is running`,
      options,
    );
  }
  const withStatus = { ...options, statusCode: status };
  if (status >= 200 && status < 300) {
    return new LmError(
      'bad_response',
      `${who} sent a response that could not be parsed: ${error.message}`,
      withStatus,
    );
  }
  if (status === 429) {
    return new LmError(
      'rate_limited',
      `${who} is rate limited (HTTP 429)${after}: ${error.message}; lower RLM_BATCH_CONCURRENCY or raise LM_MAX_RETRIES`,
      withStatus,
    );
  }
  return new LmError(
    'http_error',
    `${who} failed with HTTP ${status}${after}: ${error.message}${hint(status, env)}`,
    withStatus,
  );
}

function hint(status: number, env: (typeof ROLE_ENV)[ModelRole]): string {
  if (status === 401 || status === 403) return `; check the API key in ${env.apiKey}`;
  if (status === 404) return `; check the model name in ${env.model} and the URL in ${env.apiBase}`;
  return '';
}
