/**
 * The server's drain, as probes and clients see it. Once `beginDrain` is called (SIGTERM, or
 * `close()`), `/ready` answers 503 with `DRAIN_REASON` so a load balancer stops sending; routes
 * and sockets that declare `config: { refuseWhileDraining: true }` (creating a session, opening
 * either WebSocket) are refused with `server_shutting_down` (503), as the turn runner refuses new
 * turns; running turns get their grace period. At the end, `closeSockets` says goodbye to every
 * open socket with 1001 (going away) and a reason, so a client knows to reconnect (elsewhere)
 * rather than take it for an error — ws's own close at shutdown sends no code at all (1005).
 */
import type { onRequestAsyncHookHandler } from 'fastify';
import type { WebSocket, WebSocketServer } from 'ws';
import { FleetError } from '../contract/fleet-error.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** New work that would outlive a drain: refused with `server_shutting_down` once it began. */
    refuseWhileDraining?: boolean;
  }
}

export const DRAIN_REASON =
  'the server is shutting down (draining running turns); retry shortly, or on another instance';
/** The close frame's reason (at most 123 bytes). */
const CLOSE_REASON = 'server shutting down';
const GOING_AWAY = 1001;
/** How long closing sockets wait for clients to answer the close frame before cutting them. */
const CLOSE_WAIT_MS = 2000;

export class ServerLifecycle {
  private drainingSince?: number;

  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Refuses, once draining, the requests of routes that declare `refuseWhileDraining`. */
  refuseWhileDrainingHook(): onRequestAsyncHookHandler {
    return async (request) => {
      if (this.draining && request.routeOptions.config.refuseWhileDraining)
        throw new FleetError('server_shutting_down', DRAIN_REASON);
    };
  }

  /** Closes every open socket with 1001 and a reason; resolves once they are closed (or cut). */
  async closeSockets(server: WebSocketServer): Promise<void> {
    const open = [...server.clients];
    await Promise.all(open.map((socket) => closeGoingAway(socket)));
  }
}

function closeGoingAway(socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate(); // a client that never answers the close frame does not hold the exit
      resolve();
    }, CLOSE_WAIT_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close(GOING_AWAY, CLOSE_REASON);
  });
}
