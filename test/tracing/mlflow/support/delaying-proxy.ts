/**
 * A small HTTP proxy in front of a real MLflow that holds back chosen requests, to play a busy
 * machine: e.g. the first experiment call answering after the probe's timeout. Every request
 * is forwarded unchanged; the ones `delayFor` names wait that long first.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayingProxy {
  url: string;
  /** Path (without query) and delay of each request held back, in order. */
  delayed: Array<{ path: string; ms: number }>;
  /** Every path (without query) forwarded, in order. */
  forwarded: string[];
  close(): Promise<void>;
}

export async function startDelayingProxy(
  target: string,
  delayFor: (path: string, method: string) => number,
): Promise<DelayingProxy> {
  const upstream = new URL(target);
  const delayed: DelayingProxy['delayed'] = [];
  const forwarded: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const path = (incoming.url ?? '/').split('?')[0]!;
    const ms = delayFor(path, incoming.method ?? 'GET');
    if (ms > 0) delayed.push({ path, ms });
    setTimeout(() => {
      forwarded.push(path);
      const proxied = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      proxied.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      incoming.pipe(proxied);
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delayed,
    forwarded,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
