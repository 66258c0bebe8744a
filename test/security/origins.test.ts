/**
 * Attack: in local mode (auth off) any website the user visited could drive the server: CORS
 * answered `*` and neither socket looked at `Origin`, so a page on another site could open
 * `/api/v1/ws/execution` on 127.0.0.1 and run turns, or read the API.
 *
 * Now, in local mode, only the server's own origin (all loopback spellings when it listens on
 * loopback, the forwarded host when TRUST_PROXY is set) and CORS_ALLOWED_ORIGINS may come in:
 * other origins get a 403 at the socket handshake and on HTTP, and no CORS headers. Requests
 * without an Origin (CLI clients, curl, same-origin GETs) are not affected.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, RecordingSocket, startHarness } from '../support/server-harness.js';

const SOCKETS = ['/api/v1/ws/execution', '/api/v1/ws/execution/events?session_id=x'];

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with exactly these headers (fetch would not let a test set Origin or Host). */
function raw(
  harness: Harness,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const call = httpRequest(`${harness.url}${path}`, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
      );
    });
    call.on('error', reject);
    call.end(body);
  });
}

function port(harness: Harness): string {
  return new URL(harness.url).port;
}

async function handshake(harness: Harness, path: string, headers: Record<string, string>): Promise<string> {
  try {
    const socket = await RecordingSocket.open(`${harness.wsUrl}${path}`, headers);
    await socket.close();
    return 'open';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('origins in local mode (default settings)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({});
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('refuses both sockets to another website, at the handshake', async () => {
    for (const path of SOCKETS) {
      for (const origin of [
        'http://evil.example',
        `http://evil.example:${port(harness)}`,
        `http://localhost:${Number(port(harness)) + 1}`,
        `http://127.0.0.1.evil.example:${port(harness)}`,
        `https://127.0.0.1:${port(harness)}`,
        'null',
      ]) {
        expect([path, origin, await handshake(harness, path, { origin })]).toEqual([
          path,
          origin,
          'HTTP 403',
        ]);
      }
    }
  });

  it("accepts the server's own origin in every loopback spelling, and no Origin at all", async () => {
    for (const path of SOCKETS) {
      for (const origin of [
        `http://127.0.0.1:${port(harness)}`,
        `http://localhost:${port(harness)}`,
        `http://[::1]:${port(harness)}`,
        `HTTP://LOCALHOST:${port(harness)}`,
      ]) {
        expect([path, origin, await handshake(harness, path, { origin })]).toEqual([path, origin, 'open']);
      }
      expect(await handshake(harness, path, {})).toBe('open');
    }
  });

  it('is not fooled by a DNS-rebound name that matches its own Host header', async () => {
    const host = `rebound.example:${port(harness)}`;
    expect(await handshake(harness, SOCKETS[0]!, { host, origin: `http://${host}` })).toBe('HTTP 403');
    const post = await raw(
      harness,
      'POST',
      '/api/v1/sessions',
      {
        host,
        origin: `http://${host}`,
        'content-type': 'application/json',
      },
      '{}',
    );
    expect(post.status).toBe(403);
    // Same-origin GETs carry no Origin: the rebound page is recognised by the Host it addressed.
    const read = await raw(harness, 'GET', '/api/v1/sessions', { host });
    expect([read.status, JSON.parse(read.body).code]).toEqual([403, 'host_not_allowed']);
    expect(JSON.parse(read.body).message).toMatch(/CORS_ALLOWED_ORIGINS/);
    for (const name of ['localhost', '127.0.0.1', '[::1]', '127.0.0.1:1']) {
      const direct = await raw(harness, 'GET', '/api/v1/sessions', { host: name });
      expect([name, direct.status]).toEqual([name, 200]);
    }
  });

  it('gives another website no CORS headers and refuses its requests', async () => {
    const origin = 'http://evil.example';
    const preflight = await raw(harness, 'OPTIONS', '/api/v1/sessions', {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await raw(harness, 'GET', '/api/v1/sessions', { origin });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    expect([read.status, JSON.parse(read.body).code]).toEqual([403, 'origin_not_allowed']);
    expect(JSON.parse(read.body).message).toMatch(/CORS_ALLOWED_ORIGINS/);
    // A "simple" cross-site POST needs no preflight: it must not create anything either.
    const form = await raw(
      harness,
      'POST',
      '/api/v1/sessions',
      { origin, 'content-type': 'application/json' },
      '{}',
    );
    expect(form.status).toBe(403);
    const sessions = await raw(harness, 'GET', '/api/v1/sessions', {});
    expect([sessions.status, JSON.parse(sessions.body).items]).toEqual([200, []]);
  });

  it('lets its own origin read the API', async () => {
    const origin = `http://localhost:${port(harness)}`;
    const read = await raw(harness, 'GET', '/api/v1/sessions', { origin });
    expect(read.status).toBe(200);
  });
});

describe('origins with CORS_ALLOWED_ORIGINS and a trusted reverse proxy', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ CORS_ALLOWED_ORIGINS: 'http://app.example:5173', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('accepts a listed origin on both sockets and with CORS headers', async () => {
    const origin = 'http://app.example:5173';
    for (const path of SOCKETS) expect(await handshake(harness, path, { origin })).toBe('open');
    const read = await raw(harness, 'GET', '/api/v1/sessions', { origin });
    expect([read.status, read.headers['access-control-allow-origin']]).toEqual([200, origin]);
    expect(await handshake(harness, SOCKETS[0]!, { origin: 'http://app.example:5174' })).toBe('HTTP 403');
    const preflight = await raw(harness, 'OPTIONS', '/api/v1/sessions/x', {
      origin,
      'access-control-request-method': 'DELETE',
    });
    expect([preflight.status, preflight.headers['access-control-allow-origin']]).toEqual([204, origin]);
  });

  // RFC 7239 `Forwarded` is not read: fastify's trustProxy handles the X-Forwarded-* headers.
  it('takes its own origin from X-Forwarded-Host/-Proto', async () => {
    const origin = 'https://fleet.example';
    expect(
      await handshake(harness, SOCKETS[0]!, {
        origin,
        'x-forwarded-host': 'fleet.example',
        'x-forwarded-proto': 'https',
      }),
    ).toBe('open');
    expect(
      await handshake(harness, SOCKETS[0]!, {
        origin,
        'x-forwarded-host': 'other.example',
        'x-forwarded-proto': 'https',
      }),
    ).toBe('HTTP 403');
  });
});

describe('a name of your own for the machine, in CORS_ALLOWED_ORIGINS', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ CORS_ALLOWED_ORIGINS: 'http://fleet.local:8000' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('answers requests addressed to that host, and still no other', async () => {
    const named = await raw(harness, 'GET', '/api/v1/sessions', { host: 'fleet.local:8000' });
    expect(named.status).toBe(200);
    const other = await raw(harness, 'GET', '/api/v1/sessions', { host: 'fleet.example:8000' });
    expect(other.status).toBe(403);
  });
});

describe('forwarded headers without TRUST_PROXY', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({});
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('ignores them: anyone can send them', async () => {
    const headers = {
      origin: 'https://fleet.example',
      'x-forwarded-host': 'fleet.example',
      'x-forwarded-proto': 'https',
    };
    expect(await handshake(harness, SOCKETS[0]!, headers)).toBe('HTTP 403');
  });
});

describe('CORS_ALLOWED_ORIGINS=* in local mode', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ CORS_ALLOWED_ORIGINS: '*' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('lets any origin in, because the operator asked for it', async () => {
    expect(await handshake(harness, SOCKETS[0]!, { origin: 'http://evil.example' })).toBe('open');
    const read = await raw(harness, 'GET', '/api/v1/sessions', { origin: 'http://evil.example' });
    expect([read.status, read.headers['access-control-allow-origin']]).toEqual([200, '*']);
  });
});
