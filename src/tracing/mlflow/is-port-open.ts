/**
 * Whether anything accepts TCP connections on a host and port. "Something answers there" is the
 * question before starting a server on it: an HTTP probe would miss a listener that is not HTTP.
 */
import { connect } from 'node:net';

export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
