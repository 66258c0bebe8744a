/**
 * `/api/v1/ws/execution/events?session_id=…[&since_seq=N]`: the read-only stream of a session's
 * execution frames (execution_started, execution_step, execution_completed). Inbound frames are
 * ignored. Without since_seq it starts live; with it, it replays what was missed first.
 *
 * A session that does not exist yet is waited for (EVENTS_SESSION_WAIT), since the original
 * Workbench opens this socket at page load with the id its first message will create; once the
 * caller's session appears, everything of it is delivered from the start. One that never
 * appears, or appears as someone else's, ends like any unknown id: `session_not_found`, 1008.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { sessionKey } from '../../events/event-bus.js';
import { Subscription } from '../../events/subscription.js';
import { errorMessage } from '../../util/text.js';
import type { ServerContext } from '../server-context.js';
import type { SocketQuota } from './socket-quota.js';
import { errorSender, socketSink } from './socket-sink.js';

const POLICY_VIOLATION = 1008;

/** Each parameter once: a repeated one arrives as an array and is refused, never passed on. */
const eventsQuery = z.object({
  session_id: z.string().min(1).max(200),
  since_seq: z.coerce.number().int().nonnegative().optional(),
});

export function eventsSocket(context: ServerContext, quota: SocketQuota): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/v1/ws/execution/events',
      { websocket: true, schema: { hide: true }, config: { refuseWhileDraining: true } },
      async (socket, request) => {
        if (!quota.admit(socket, request.auth.identity)) return;
        const sendError = errorSender(socket, context.redactor);
        const query = eventsQuery.safeParse(request.query);
        if (!query.success) {
          sendError(
            'invalid_frame',
            'connect with ?session_id=<id> (given once) and optionally &since_seq=<n >= 0>',
            {
              issues: query.error.issues.map((issue) => ({
                path: issue.path.join('.'),
                message: issue.message,
              })),
            },
          );
          socket.close(POLICY_VIOLATION, 'bad query');
          return;
        }
        const { session_id: sessionId, since_seq: sinceSeq } = query.data;
        const identity = request.auth.identity;
        let session = await context.sessions.find(identity, sessionId);
        let from = sinceSeq;
        if (!session) {
          const closed = new AbortController();
          const onClose = () => closed.abort();
          socket.once('close', onClose);
          session = await context.sessions.waitFor(identity, sessionId, {
            timeoutMs: context.config.events.sessionWaitMs,
            signal: closed.signal,
          });
          socket.off('close', onClose);
          // The session is younger than this socket: all of it is news here.
          from ??= 0;
        }
        if (socket.readyState !== socket.OPEN) return; // closed while the session was looked up
        if (!session) {
          sendError('session_not_found', `no session ${sessionId}`);
          socket.close(POLICY_VIOLATION, 'session not found');
          return;
        }
        const subscription = new Subscription(
          {
            store: context.store,
            bus: context.bus,
            sessionKey: sessionKey(identity.workspaceId, identity.userId, session.id),
            sessionId: session.id,
            stream: 'passive',
            sinceSeq: from,
            queueLimit: context.config.events.subscriberQueue,
            onGap: (oldest, requested) =>
              sendError(
                'replay_gap',
                `frames after seq ${requested} are gone; replaying from seq ${oldest}`,
                {
                  oldest_seq: oldest,
                  requested_since_seq: requested,
                },
              ),
            onError: (error) => request.log.warn(`events subscription failed: ${errorMessage(error)}`),
          },
          socketSink(socket),
        );
        socket.on('close', () => subscription.close());
      },
    );
  };
}
