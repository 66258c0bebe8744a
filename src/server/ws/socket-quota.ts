/**
 * Open WebSockets per user (both sockets together), so one user cannot hold every connection
 * the server can keep: past USER_MAX_SOCKETS a new socket gets a `quota_exceeded` envelope and
 * is closed with 1008 (policy violation) before it subscribes to anything.
 */
import type { WebSocket } from 'ws';
import type { Identity } from '../../store/store.js';
import { sendJson } from './socket-sink.js';

const POLICY_VIOLATION = 1008;

export class SocketQuota {
  private readonly open = new Map<string, number>();

  constructor(private readonly perUser: number) {}

  /**
   * Counts the socket for its user until it closes; false (and the socket refused and closed)
   * when the user is at the limit.
   */
  admit(socket: WebSocket, identity: Identity): boolean {
    const key = `${identity.workspaceId}\u0000${identity.userId}`;
    const count = this.open.get(key) ?? 0;
    if (count >= this.perUser) {
      sendJson(socket, {
        type: 'error',
        code: 'quota_exceeded',
        message: `you already have ${count} sockets open, the limit per user (USER_MAX_SOCKETS=${this.perUser}); close one first`,
        details: { limit: this.perUser },
      });
      socket.close(POLICY_VIOLATION, 'too many sockets');
      return false;
    }
    this.open.set(key, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    });
    return true;
  }
}
