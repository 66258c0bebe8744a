/**
 * What fleet-rlm (Python)'s React Workbench puts on the wire, re-enacted for tests: its HTTP
 * calls, its two sockets and the frames it sends, and the checks it makes on what comes back.
 * Derived from its source (public repo Qredence/fleet-rlm, folder src/frontend, read at commit
 * 3dc2a46), not copied:
 * - src/lib/rlm-api/client.ts: JSON requests with `Accept`, `Authorization: Bearer`; errors read `detail`.
 * - src/lib/rlm-api/ws-reconnecting.ts: `?access_token=` on sockets; `crypto.randomUUID()` session
 *   ids; `cancel {type}` on Stop, then up to 1.5 s for a terminal frame; a chat socket closes on
 *   `final`/`cancelled` and fails on an `error` envelope or kind.
 * - src/lib/rlm-api/ws-client.ts: the events socket `?session_id=` with no terminal kinds.
 * - src/lib/workspace/chat-store.ts: the `message` frame and its fields.
 * - src/lib/rlm-api/sessions.ts: the query parameters of the session, detail and turns calls.
 * - src/features/workspace/runtime-guard.ts: when `/runtime/status` blocks sending.
 */
import { RecordingSocket } from '../support/server-harness.js';

/** The Vite dev server's origin, where the Workbench runs during development. */
export const WORKBENCH_ORIGIN = 'http://localhost:5173';
/** How long the Workbench waits for a terminal frame after sending `cancel`. */
export const ABORT_TIMEOUT_MS = 1500;

export interface OriginalClientOptions {
  /** The server's base URL (VITE_FLEET_API_URL). */
  url: string;
  /** What the Workbench keeps in sessionStorage under `fleet-rlm:access-token`, if anything. */
  token?: string;
}

export interface MessageOptions {
  executionMode?: 'auto' | 'rlm_only' | 'tools_only';
  /** Set when the prompt names a repository (detectRepoContext); sent as `repo_url`/`repo_ref`. */
  repoUrl?: string;
  contextPaths?: string[];
  batchConcurrency?: number;
}

export class OriginalClient {
  /** The id the Workbench makes at page load (and again on "new session"). */
  sessionId: string = crypto.randomUUID();

  constructor(private readonly options: OriginalClientOptions) {}

  /** `requestJson`: the body as parsed JSON (undefined for 204) and the status. */
  async http(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
    const response = await fetch(new URL(path, this.options.url), {
      method,
      headers: {
        Accept: 'application/json',
        Origin: WORKBENCH_ORIGIN,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
        ...(this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {}),
      },
      ...(body && method !== 'GET' ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: fields are checked one by one in the tests
    const json = text ? (JSON.parse(text) as Record<string, any>) : undefined;
    return { status: response.status, body: json };
  }

  /** `parseError`: what the Workbench shows for a failed call. */
  static errorDetail(status: number, body: Record<string, unknown> | undefined): string {
    return typeof body?.detail === 'string' && body.detail.trim() ? body.detail : `HTTP ${status}`;
  }

  /** `sessionEndpoints.listSessions`: falsy parameters are left out, as there. */
  listSessions(params: { search?: string; status?: string; limit?: number; offset?: number }) {
    const query = new URLSearchParams();
    if (params.search) query.set('search', params.search);
    if (params.status) query.set('status', params.status);
    if (params.limit) query.set('limit', String(params.limit));
    if (params.offset) query.set('offset', String(params.offset));
    const text = query.toString();
    return this.http('GET', `/api/v1/sessions${text ? `?${text}` : ''}`);
  }

  getSession(id: string) {
    return this.http('GET', `/api/v1/sessions/${id}`);
  }

  getSessionTurns(id: string, params: { limit?: number; offset?: number }) {
    const query = new URLSearchParams();
    if (params.limit) query.set('limit', String(params.limit));
    if (params.offset) query.set('offset', String(params.offset));
    const text = query.toString();
    return this.http('GET', `/api/v1/sessions/${id}/turns${text ? `?${text}` : ''}`);
  }

  /** `subscribeToExecutionStream`: opened once per session id, at page load. */
  openEventsSocket(): Promise<RecordingSocket> {
    const url = new URL('/api/v1/ws/execution/events', this.wsBase());
    url.searchParams.set('session_id', this.sessionId);
    return this.openSocket(url);
  }

  /** One chat socket per message (`streamChatOverWs`), the frame built as `streamMessage` does. */
  async sendMessage(content: string, options: MessageOptions = {}): Promise<RecordingSocket> {
    const socket = await this.openSocket(new URL('/api/v1/ws/execution', this.wsBase()));
    const request: Record<string, unknown> = {
      type: 'message',
      content,
      trace: true,
      analytics_enabled: false,
      session_id: this.sessionId,
      trace_mode: 'compact',
      execution_mode: options.executionMode ?? 'auto',
    };
    if (options.repoUrl !== undefined) {
      request.repo_url = options.repoUrl || null;
      request.repo_ref = null;
    }
    if (options.contextPaths !== undefined)
      request.context_paths = options.contextPaths.length > 0 ? options.contextPaths : null;
    if (options.batchConcurrency !== undefined) request.batch_concurrency = options.batchConcurrency;
    socket.send(request);
    return socket;
  }

  /** The Stop button: `cancel` on the message's own socket, then a terminal frame or give up. */
  async stop(socket: RecordingSocket): Promise<void> {
    socket.send({ type: 'cancel' });
    await socket.until(() => isTerminal(socket), ABORT_TIMEOUT_MS);
    await socket.close();
  }

  /** Waits the way `createReconnectingWs` does for a chat socket: `final`/`cancelled` ends it. */
  static async untilDone(socket: RecordingSocket, timeoutMs = 20_000): Promise<void> {
    await socket.until(() => isTerminal(socket) || socket.errors().length > 0, timeoutMs);
    await socket.close();
  }

  private wsBase(): string {
    const base = new URL(this.options.url);
    base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    return base.toString();
  }

  private openSocket(url: URL): Promise<RecordingSocket> {
    if (this.options.token) url.searchParams.set('access_token', this.options.token);
    return RecordingSocket.open(url.toString(), { Origin: WORKBENCH_ORIGIN });
  }
}

function isTerminal(socket: RecordingSocket): boolean {
  return socket.events().some((event) => ['final', 'cancelled', 'error'].includes(event.kind));
}

/** `getWorkspaceRuntimeGuard(...).blocked`: true stops the Workbench from sending at all. */
export function runtimeGuardBlocks(status: Record<string, unknown>): boolean {
  const llm = (status.llm ?? {}) as Record<string, unknown>;
  const daytona = (status.daytona ?? {}) as Record<string, unknown>;
  const tests = (status.tests ?? {}) as Record<string, { ok?: boolean } | null | undefined>;
  const preflight = llm.model_set === false || llm.api_key_set === false || daytona.configured === false;
  const connectivity = (tests.lm != null && !tests.lm.ok) || (tests.daytona != null && !tests.daytona.ok);
  return preflight || connectivity;
}
