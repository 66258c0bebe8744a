/**
 * A loopback HTTP server for the URL document tests. It counts TCP connections (not just
 * requests), so a test can prove a blocked fetch never even connected, records each request's
 * path and headers, and closes every open connection on `close()` (stalled responses included).
 */
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestHttpServer {
  host: string;
  port: number;
  /** `http://<host>:<port><path>` */
  url(path: string): string;
  connections(): number;
  requests: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startTestHttpServer(
  handler: RequestListener,
  options: { host?: string; port?: number } = {},
): Promise<TestHttpServer> {
  const host = options.host ?? '127.0.0.1';
  let connections = 0;
  const requests: TestHttpServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    requests.push({ path: request.url ?? '', headers: request.headers });
    handler(request, response);
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    url: (path) => `http://${host}:${port}${path}`,
    connections: () => connections,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
