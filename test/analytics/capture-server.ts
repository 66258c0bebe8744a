/**
 * A local stand-in for PostHog's capture API: records every POST (gunzipped when posthog-node
 * compresses it) and answers with a status the test chooses. posthog-node 5 sends events in
 * batches to `${host}/batch/` as `{api_key, batch: [{event, distinct_id, properties, …}]}`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface CapturedBatch {
  path: string;
  gzip: boolean;
  body: { api_key: string; batch: CapturedEvent[] };
}

export interface CapturedEvent {
  event: string;
  distinct_id: string;
  properties: Record<string, unknown>;
}

export class CaptureServer {
  readonly batches: CapturedBatch[] = [];
  /** The HTTP status of the next answers. */
  status = 200;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<CaptureServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const capture = new CaptureServer(server, `http://127.0.0.1:${port}`);
    server.on('request', async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const gzip = request.headers['content-encoding'] === 'gzip';
      const text = (gzip ? gunzipSync(raw) : raw).toString('utf8');
      capture.batches.push({ path: request.url ?? '/', gzip, body: JSON.parse(text) });
      response.writeHead(capture.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(capture.status < 400 ? { status: 1 } : { error: 'refused' }));
    });
    return capture;
  }

  events(): CapturedEvent[] {
    return this.batches.flatMap((batch) => batch.body.batch);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
