/**
 * One POST of a binary body over node:http(s) on a keep-alive connection, for span export.
 * Exports happen every second under load, and `fetch` (undici) spends about a millisecond of
 * CPU per request on its WHATWG machinery where a plain keep-alive request spends a quarter of
 * that; the turn's process pays for it either way, so the exporter uses this.
 */
import http from 'node:http';
import https from 'node:https';

export interface PostResult {
  status: number;
  /** The body as text, read only on a failure status (bounded), else empty. */
  text: string;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
};
const ERROR_BODY_CHARS = 2000;

/** Rejects on a network failure or when `timeoutMs` passes; resolves with any HTTP status. */
export function postBytes(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
  timeoutMs: number,
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
    const client = protocol === 'https:' ? https : http;
    const request = client.request(
      target,
      {
        method: 'POST',
        agent: agents[protocol],
        headers: { ...headers, 'content-length': String(body.byteLength) },
        timeout: timeoutMs,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const failed = status < 200 || status >= 300;
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (failed && text.length < ERROR_BODY_CHARS) text += chunk;
        });
        response.on('end', () => resolve({ status, text: text.slice(0, ERROR_BODY_CHARS) }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
