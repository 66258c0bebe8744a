/**
 * A typed Node client for `/api/v1/ws/execution`. Frames are validated against `clientFrame`
 * before they leave and parsed with `serverEnvelope` when they arrive (a malformed one is
 * reported as a `malformed` event, never thrown). The client keeps the last `seq` of every
 * session it follows; when the connection drops it reconnects with bounded backoff, sends
 * `resume {session_id, since_seq}` for each of them, sends again every message no frame has
 * answered yet (its `client_message_id` makes the server attach instead of starting a second
 * turn), and drops replayed frames it has already delivered. Consumers see each frame once.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket, { type RawData } from 'ws';
import { z } from 'zod';
import type {
  ChatEvent,
  CommandResultEnvelope,
  ErrorEnvelope,
  ServerEnvelope,
} from '../contract/chat-events.js';
import { type ClientFrame, clientFrame } from '../contract/client-frames.js';
import { ClientError } from './client-error.js';
import { decodeEnvelope, type MalformedFrame } from './decode-envelope.js';
import { FollowedSessions } from './followed-sessions.js';
import { PendingCommands } from './pending-commands.js';
import { DEFAULT_RECONNECT_POLICY, type ReconnectPolicy, reconnectDelay } from './reconnect-policy.js';
import { executionSocketUrl } from './server-url.js';
import { openSocket } from './socket-open.js';

export interface ExecutionClientOptions {
  /** The server's base URL (`http://127.0.0.1:8000`) or the socket URL itself. */
  url: string;
  /** A bearer token, sent in the `Authorization` header. */
  token?: string;
  /** Follow this session from the start: resume it after `sinceSeq`. */
  sessionId?: string;
  /** Default 0: every frame the server still keeps. */
  sinceSeq?: number;
  reconnect?: Partial<ReconnectPolicy>;
}

export type { MalformedFrame };

export interface ExecutionClientEvents {
  /** Every well-formed envelope, in arrival order, duplicates of delivered events left out. */
  envelope: [ServerEnvelope];
  event: [ChatEvent];
  command_result: [CommandResultEnvelope];
  /** An `error` envelope: a problem with a frame or the connection (a failed turn is an event). */
  server_error: [ErrorEnvelope];
  malformed: [MalformedFrame];
  reconnecting: [{ attempt: number; delayMs: number; error?: Error }];
  reconnected: [{ attempt: number }];
  /** The client is done: `error` is set when reconnecting failed. */
  closed: [ClientError | undefined];
}

/** Codes with which the server refuses a `message` before its turn starts. */
const MESSAGE_REFUSALS = new Set([
  'turn_in_progress',
  'planner_missing',
  'session_not_found',
  'session_archived',
  'server_shutting_down',
  'invalid_frame',
]);
/** Frames held while reconnecting; resumes and tracked messages are rebuilt, not queued. */
const MAX_QUEUED = 1000;

export class ExecutionClient extends EventEmitter<ExecutionClientEvents> {
  readonly socketUrl: string;
  /** Replayed events dropped because they had been delivered already. */
  duplicatesDropped = 0;
  private socket?: WebSocket;
  private state: 'open' | 'reconnecting' | 'closed' = 'reconnecting';
  private readonly sessions = new FollowedSessions();
  private readonly queue: ClientFrame[] = [];
  private readonly commands = new PendingCommands();
  private readonly policy: ReconnectPolicy;
  private retryTimer?: NodeJS.Timeout;
  private wake?: () => void;

  private constructor(private readonly options: ExecutionClientOptions) {
    super();
    this.socketUrl = executionSocketUrl(options.url);
    this.policy = { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect };
  }

  /** Opens the socket (no retries: a first failure is reported at once). */
  static async connect(options: ExecutionClientOptions): Promise<ExecutionClient> {
    const client = new ExecutionClient(options);
    client.adopt(await openSocket(client.socketUrl, options.token));
    if (options.sessionId) client.follow(options.sessionId, options.sinceSeq ?? 0);
    return client;
  }

  get connected(): boolean {
    return this.state === 'open';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Validates and sends a frame; throws `invalid_frame` (nothing is sent) when it does not match
   * `clientFrame`. While reconnecting, frames wait and go out once the connection is back.
   * A message without `client_message_id` gets one, so it can be re-sent safely.
   */
  send(frame: ClientFrame): void {
    const parsed = clientFrame.safeParse(frame);
    if (!parsed.success) {
      throw new ClientError(
        'invalid_frame',
        `refused to send an invalid frame: ${z.prettifyError(parsed.error)}`,
      );
    }
    if (this.state === 'closed') throw new ClientError('closed', 'the execution client is closed');
    let valid = parsed.data;
    if (valid.type === 'message') {
      valid = { ...valid, client_message_id: valid.client_message_id ?? randomUUID() };
      this.sessions.trackMessage(valid);
    } else if (valid.type === 'resume') {
      this.sessions.follow(valid.session_id, valid.since_seq);
    }
    if (this.state === 'open') {
      this.transmit(valid);
    } else if (valid.type !== 'resume' && !(valid.type === 'message' && valid.session_id)) {
      // Resumes and tracked messages are rebuilt from state on reconnect; the rest waits.
      if (this.queue.length >= MAX_QUEUED) this.queue.shift();
      this.queue.push(valid);
    }
  }

  /** Subscribes to a session's events after `sinceSeq` (default: after the last one delivered). */
  follow(sessionId: string, sinceSeq = this.sessions.lastSeq(sessionId)): void {
    this.send({ type: 'resume', session_id: sessionId, since_seq: sinceSeq });
  }

  /** Stops resuming the session after a drop (the server keeps sending until the socket closes). */
  unfollow(sessionId: string): void {
    this.sessions.unfollow(sessionId);
  }

  lastSeq(sessionId: string): number {
    return this.sessions.lastSeq(sessionId);
  }

  /**
   * Sends `command {command, args}` and resolves with its `command_result`. An error envelope
   * with a command failure code rejects the oldest pending command (`reason` 'server_error',
   * `code` from the server); a drop rejects it with 'interrupted' (it may or may not have run).
   */
  runCommand(command: string, args: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
    const { promise, cancel } = this.commands.add(command);
    try {
      this.send({ type: 'command', command, args, ...(sessionId ? { session_id: sessionId } : {}) });
    } catch (error) {
      cancel(error);
    }
    return promise;
  }

  /** Cuts the connection the way a network failure would, so the client reconnects (tests, tools). */
  dropConnection(): void {
    this.socket?.terminate();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    this.wake?.();
    this.commands.failAll(new ClientError('closed', 'the execution client was closed'));
    const socket = this.socket;
    this.socket = undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000);
        // A peer that never answers the close handshake must not hold us.
        setTimeout(() => socket.terminate(), 1000).unref();
      });
    }
    this.emit('closed', undefined);
  }

  private adopt(socket: WebSocket): void {
    this.socket = socket;
    this.state = 'open';
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', () => this.lost(socket));
    // Errors are followed by 'close'; the listener keeps ws from throwing them.
    socket.on('error', () => {});
  }

  private transmit(frame: ClientFrame): void {
    this.socket?.send(JSON.stringify(frame));
  }

  private receive(data: RawData, isBinary: boolean): void {
    const decoded = decodeEnvelope(data, isBinary);
    if (!decoded.ok) return void this.emit('malformed', decoded.malformed);
    const { envelope } = decoded;
    switch (envelope.type) {
      case 'event':
        if (!this.sessions.accept(envelope.data)) {
          this.duplicatesDropped++;
          return;
        }
        this.emit('envelope', envelope);
        this.emit('event', envelope.data);
        return;
      case 'command_result':
        this.commands.resolve(envelope);
        this.emit('envelope', envelope);
        this.emit('command_result', envelope);
        return;
      case 'error':
        if (!this.commands.reject(envelope) && MESSAGE_REFUSALS.has(envelope.code))
          this.sessions.messageRefused();
        this.emit('envelope', envelope);
        this.emit('server_error', envelope);
        return;
    }
  }

  private lost(socket: WebSocket): void {
    if (socket !== this.socket || this.state === 'closed') return;
    this.socket = undefined;
    this.commands.failAll(
      new ClientError(
        'interrupted',
        'the connection dropped before the command was answered; it may have run',
      ),
    );
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    this.state = 'reconnecting';
    let lastError: Error | undefined;
    let attempts = 0;
    for (let attempt = 1; attempt <= this.policy.attempts; attempt++) {
      attempts = attempt;
      const delayMs = reconnectDelay(this.policy, attempt);
      this.emit('reconnecting', { attempt, delayMs, error: lastError });
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.retryTimer = setTimeout(resolve, delayMs);
      });
      if (this.closed) return;
      try {
        const socket = await openSocket(this.socketUrl, this.options.token);
        if (this.closed) return void socket.terminate();
        this.adopt(socket);
        for (const frame of this.sessions.resyncFrames()) this.transmit(frame);
        for (const frame of this.queue.splice(0)) this.transmit(frame);
        this.emit('reconnected', { attempt });
        return;
      } catch (error) {
        lastError = error as Error;
        // The server answered and said no (e.g. the token expired): retrying cannot help. A 5xx
        // (a proxy while the server restarts, auth_unavailable) may pass, so it is retried.
        if (ClientError.isInstance(error) && error.reason === 'rejected' && (error.status ?? 500) < 500)
          break;
      }
    }
    this.state = 'closed';
    this.queue.length = 0;
    const failure = new ClientError(
      'reconnect_failed',
      `lost the connection to ${this.socketUrl} and could not get it back after ${attempts} attempt(s)` +
        (lastError ? `: ${lastError.message}` : ''),
      { code: ClientError.isInstance(lastError) ? lastError.code : undefined, cause: lastError },
    );
    this.emit('closed', failure);
  }
}
