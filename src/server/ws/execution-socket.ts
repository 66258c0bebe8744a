/**
 * `/api/v1/ws/execution`: the bidirectional socket. Client frames (message, cancel, command,
 * resume) are validated one by one; a bad frame gets an `error` envelope and the connection stays
 * usable. A socket subscribes to the chat stream of each session it sends to or resumes; turns
 * run independently of it, so closing it only ends the subscriptions.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { type ClientFrame, clientFrame } from '../../contract/client-frames.js';
import { FleetError } from '../../contract/fleet-error.js';
import { sessionKey } from '../../events/event-bus.js';
import { Subscription } from '../../events/subscription.js';
import type { Identity } from '../../store/store.js';
import { errorMessage } from '../../util/text.js';
import type { ServerContext } from '../server-context.js';
import { runCommand } from './commands.js';
import type { SocketQuota } from './socket-quota.js';
import { errorSender, FrameRateLimit, type SendError, sendEnvelope, socketSink } from './socket-sink.js';

/** Sessions one execution socket follows at once. */
export const MAX_FOLLOWED = 64;

export function executionSocket(context: ServerContext, quota: SocketQuota): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/v1/ws/execution',
      { websocket: true, schema: { hide: true }, config: { refuseWhileDraining: true } },
      (socket, request) => {
        if (!quota.admit(socket, request.auth.identity)) return;
        const handler = new ExecutionConnection(context, socket, request.auth.identity, (text) =>
          request.log.warn(text),
        );
        socket.on('message', (data, isBinary) => void handler.onMessage(data as Buffer, isBinary));
        socket.on('close', () => handler.close());
      },
    );
  };
}

class ExecutionConnection {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly limit: FrameRateLimit;
  private lastSession?: string;
  private limitedNoticeAt = 0;
  private inOrder: Promise<void> = Promise.resolve();
  private readonly submitting = new Set<Promise<unknown>>();
  private readonly sendError: SendError;

  constructor(
    private readonly context: ServerContext,
    private readonly socket: WebSocket,
    private readonly identity: Identity,
    private readonly log: (text: string) => void,
  ) {
    this.sendError = errorSender(socket, context.redactor);
    const perSecond = context.config.server.maxFramesPerSecond;
    this.limit = new FrameRateLimit(perSecond * 2, perSecond);
  }

  async onMessage(data: Buffer, isBinary: boolean): Promise<void> {
    if (!this.limit.take()) {
      // One notice a second is enough; the dropped frames are not processed.
      if (performance.now() - this.limitedNoticeAt > 1000) {
        this.limitedNoticeAt = performance.now();
        this.sendError(
          'rate_limited',
          `more than ${this.context.config.server.maxFramesPerSecond} frames a second; frames are being dropped`,
        );
      }
      return;
    }
    if (isBinary) return this.sendError('binary_frame');
    if (data.length > this.context.config.server.maxFrameBytes) {
      return this.sendError('frame_too_large', undefined, {
        bytes: data.length,
        limit: this.context.config.server.maxFrameBytes,
      });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString('utf8'));
    } catch (error) {
      return this.sendError('invalid_json', `the frame is not valid JSON: ${errorMessage(error)}`);
    }
    const parsed = clientFrame.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        message: issue.message,
      }));
      return this.sendError('invalid_frame', undefined, { issues });
    }
    const frame = parsed.data;
    const run = () => this.handle(frame).catch((error: unknown) => this.reportError(error, frame));
    // Frames are handled in the order they came, except cancel, which must not wait behind a
    // slow command (a URL being fetched, say).
    if (frame.type === 'cancel') {
      await run();
      return;
    }
    const queued = this.inOrder.then(run);
    this.inOrder = queued;
    // A cancel right behind a message must find the turn that message starts.
    if (frame.type === 'message') {
      this.submitting.add(queued);
      void queued.finally(() => this.submitting.delete(queued));
    }
    await queued;
  }

  close(): void {
    for (const subscription of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
  }

  private async handle(frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'message': {
        const result = await this.context.runner.submit(this.identity, frame);
        this.lastSession = result.session.id;
        if (!this.subscriptions.has(result.session.id) || result.attached)
          this.subscribe(result.session.id, result.sinceSeq);
        return;
      }
      case 'cancel': {
        await Promise.allSettled([...this.submitting]);
        const sessionId = frame.session_id ?? this.lastSession;
        if (!sessionId || !(await this.context.runner.cancel(this.identity, sessionId))) {
          this.sendError(
            'no_running_turn',
            sessionId ? `session ${sessionId} has no running turn` : 'no session to cancel; pass session_id',
          );
        }
        return;
      }
      case 'resume': {
        const session = await this.context.sessions.open(this.identity, frame.session_id);
        this.lastSession = session.id;
        this.subscribe(session.id, frame.since_seq);
        return;
      }
      case 'command': {
        const sessionId = frame.session_id ?? this.lastSession;
        const result = await runCommand(
          this.context,
          this.identity,
          sessionId,
          frame.command,
          frame.args ?? {},
        );
        sendEnvelope(this.socket, {
          type: 'command_result',
          command: frame.command,
          result,
          ...(sessionId ? { session_id: sessionId } : {}),
        });
        return;
      }
    }
  }

  private subscribe(sessionId: string, sinceSeq: number): void {
    this.subscriptions.get(sessionId)?.close();
    this.subscriptions.delete(sessionId);
    // One socket follows at most MAX_FOLLOWED sessions: the one followed longest is let go
    // (a client can always `resume` it), so a socket sending to endless sessions stays bounded.
    if (this.subscriptions.size >= MAX_FOLLOWED) {
      const [oldest, subscription] = this.subscriptions.entries().next().value!;
      subscription.close();
      this.subscriptions.delete(oldest);
    }
    const subscription = new Subscription(
      {
        store: this.context.store,
        bus: this.context.bus,
        sessionKey: sessionKey(this.identity.workspaceId, this.identity.userId, sessionId),
        sessionId,
        stream: 'chat',
        sinceSeq,
        queueLimit: this.context.config.events.subscriberQueue,
        onGap: (oldest, requested) =>
          this.sendError(
            'replay_gap',
            `frames after seq ${requested} are gone; replaying from seq ${oldest}`,
            {
              session_id: sessionId,
              oldest_seq: oldest,
              requested_since_seq: requested,
            },
          ),
        onError: (error) => {
          this.log(`subscription to ${sessionId} failed: ${errorMessage(error)}`);
          this.sendError('internal_error', 'the session stream failed; send resume to continue');
        },
      },
      socketSink(this.socket),
    );
    this.subscriptions.set(sessionId, subscription);
  }

  /** Frame-level failures say which frame they answer (type, client_message_id, command, session). */
  private reportError(error: unknown, frame: ClientFrame): void {
    const about: Record<string, unknown> = { frame_type: frame.type };
    if ('session_id' in frame && frame.session_id) about.session_id = frame.session_id;
    if (frame.type === 'message' && frame.client_message_id)
      about.client_message_id = frame.client_message_id;
    if (frame.type === 'command') about.command = frame.command;
    // A FleetError travels by its catalogue code, as over HTTP; anything else (and an internal
    // FleetError) is logged and answered `internal_error`, without its message.
    if (FleetError.isInstance(error) && error.code !== 'internal_error') {
      this.sendError(error.code, error.message, { ...about, ...error.details });
      return;
    }
    this.log(`execution socket: ${errorMessage(error)}`);
    this.sendError('internal_error', undefined, about);
  }
}
