/**
 * HTTP framing for the MLflow REST client: base URL, auth header, a short timeout on every call,
 * JSON in and out, and every failure turned into an `MlflowError` that says what to fix. The
 * shapes of MLflow's answers live in `mlflow-wire.ts`; this file knows only status codes and
 * MLflow's error body `{error_code, message}`.
 */
import { MlflowError } from './mlflow-error.js';
import { parseTrackingUri } from './tracking-uri.js';

export interface MlflowHttpOptions {
  trackingUri: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN); wins over basic auth. */
  token?: string;
  /** Basic auth (MLFLOW_TRACKING_USERNAME/PASSWORD); falls back to `user:pass@` in the URI. */
  username?: string;
  password?: string;
  /** Per-call timeout; MLflow answers in milliseconds when healthy. Default 5000. */
  timeoutMs?: number;
  /** For tests: a scripted server. */
  fetch?: typeof globalThis.fetch;
}

export interface MlflowRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path under the tracking URI, starting with `/`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  timeoutMs?: number;
  abortSignal?: AbortSignal;
}

export interface MlflowTextResponse {
  status: number;
  body: string;
}

const MAX_MESSAGE_CHARS = 300;

export class MlflowHttp {
  readonly baseUrl: string;
  /** The tracking URI with credentials masked, for messages. */
  readonly displayUri: string;
  readonly timeoutMs: number;
  private readonly authorization?: string;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(options: MlflowHttpOptions) {
    const parsed = parseTrackingUri(options.trackingUri);
    this.baseUrl = parsed.baseUrl;
    this.displayUri = parsed.display;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    const username = options.username ?? parsed.username;
    const password = options.password ?? parsed.password ?? '';
    if (options.token) this.authorization = `Bearer ${options.token}`;
    else if (username)
      this.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  /** Headers every call to this server needs (also for the OTLP exporter). */
  authHeaders(): Record<string, string> {
    return this.authorization ? { authorization: this.authorization } : {};
  }

  /** Any status is an answer here; only "nothing answered" and timeouts throw. */
  async text(request: MlflowRequest): Promise<MlflowTextResponse> {
    const label = `${request.method} ${request.path}`;
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.abortSignal ? AbortSignal.any([timeout, request.abortSignal]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeaders() };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await this.fetchImpl(this.url(request), {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      if (request.abortSignal?.aborted) throw request.abortSignal.reason;
      if (timeout.aborted) {
        throw new MlflowError(
          'timeout',
          `MLflow at ${this.displayUri} did not answer ${label} within ${timeoutMs} ms; is the server overloaded or stuck?`,
          { request: label, cause: error },
        );
      }
      throw new MlflowError(
        'unreachable',
        `cannot reach MLflow at ${this.displayUri} (${label}): ${networkDetail(error)}`,
        { request: label, cause: error },
      );
    }
  }

  /** A 2xx JSON answer, parsed; anything else throws with the status and MLflow's error code. */
  async json<T = unknown>(request: MlflowRequest): Promise<T> {
    const label = `${request.method} ${request.path}`;
    const response = await this.text(request);
    if (response.status < 200 || response.status >= 300) throw this.httpError(label, response);
    try {
      return (response.body.trim() ? JSON.parse(response.body) : {}) as T;
    } catch (error) {
      throw new MlflowError(
        'invalid_response',
        `${this.displayUri} answered ${label} with something that is not JSON (${preview(response.body)}); is MLFLOW_TRACKING_URI pointing at an MLflow server?`,
        { request: label, status: response.status, cause: error },
      );
    }
  }

  private httpError(label: string, response: MlflowTextResponse): MlflowError {
    const parsed = parseErrorBody(response.body);
    const code = parsed?.errorCode;
    const detail = parsed?.message ?? preview(response.body);
    const fix =
      response.status === 401 || response.status === 403
        ? '; set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD'
        : '';
    return new MlflowError(
      'http',
      `MLflow ${label} failed: HTTP ${response.status}${code ? ` ${code}` : ''}: ${detail}${fix}`,
      { request: label, status: response.status, errorCode: code },
    );
  }

  private url(request: MlflowRequest): string {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) query.set(key, value);
    }
    const search = query.size > 0 ? `?${query}` : '';
    return `${this.baseUrl}${request.path}${search}`;
  }
}

function parseErrorBody(body: string): { errorCode?: string; message?: string } | undefined {
  try {
    const parsed = JSON.parse(body) as { error_code?: unknown; message?: unknown };
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    return {
      errorCode: typeof parsed.error_code === 'string' ? parsed.error_code : undefined,
      message:
        typeof parsed.message === 'string'
          ? truncate(firstLine(parsed.message), MAX_MESSAGE_CHARS)
          : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Node's fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is the cause. */
function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function preview(body: string): string {
  const text = body.trim();
  return text ? `'${truncate(firstLine(text), 120)}'` : 'an empty body';
}

// MLflow's messages for SQL errors run to many lines of SQL; the first says what went wrong.
function firstLine(text: string): string {
  return text.split('\n', 1)[0]!;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
