/**
 * `/api/v1/ws/execution/events?session_id=…[&since_seq=N]`: the read-only stream of a session's
 * execution frames (execution_started, execution_step, execution_completed). Inbound frames are
 * ignored. Without since_seq it starts live; with it, it replays what was missed first.
 */
import type { FastifyPluginAsync } from 'fastify';
import { sessionKey } from '../../events/event-bus.js';
import { Subscription } from '../../events/subscription.js';
import { errorMessage } from '../../util/text.js';
import type { ServerContext } from '../server-context.js';
import { errorSender, socketSink } from './socket-sink.js';

const POLICY_VIOLATION = 1008;

export function eventsSocket(context: ServerContext): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/v1/ws/execution/events',
      { websocket: true, schema: { hide: true } },
      async (socket, request) => {
        const sendError = errorSender(socket, context.redactor);
        const query = request.query as { session_id?: string; since_seq?: string };
        const identity = request.auth.identity;
        const sinceSeq = query.since_seq === undefined ? undefined : Number(query.since_seq);
        if (!query.session_id || (sinceSeq !== undefined && (!Number.isInteger(sinceSeq) || sinceSeq < 0))) {
          sendError('invalid_frame', 'connect with ?session_id=<id> and optionally &since_seq=<n >= 0>');
          socket.close(POLICY_VIOLATION, 'session_id required');
          return;
        }
        const session = await context.store.getSession(query.session_id);
        if (!session || session.workspaceId !== identity.workspaceId || session.userId !== identity.userId) {
          sendError('session_not_found', `no session ${query.session_id}`);
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
            sinceSeq,
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
