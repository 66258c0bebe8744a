/**
 * `fetchUrl` against real loopback HTTP servers: the private-network block (proved by the server
 * seeing zero connections), the per-hop check on redirects and re-resolution, redirect limits,
 * size and time limits, status handling and the URL schemes accepted.
 */

import type { LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentsConfig } from '../../src/config/config.js';
import { DOCUMENT_PARSE_DEFAULTS } from '../../src/config/config.js';
import { findBlockedRange } from '../../src/documents/address-policy.js';
import { fetchUrl } from '../../src/documents/fetch-url.js';
import { expectDocumentError } from './support/expect-document-error.js';
import { startTestHttpServer, type TestHttpServer } from './support/test-http-server.js';

const LIMITS: DocumentsConfig = {
  urlMaxBytes: 64 * 1024,
  urlMaxRedirects: 2,
  urlConnectTimeoutMs: 2_000,
  urlReadTimeoutMs: 5_000,
  urlAllowPrivateNetworks: false,
  ...DOCUMENT_PARSE_DEFAULTS,
};
const ALLOW_PRIVATE: DocumentsConfig = { ...LIMITS, urlAllowPrivateNetworks: true };

/** "127.0.0.1 counts as public": the honest way to let a first hop through on loopback. */
const loopbackOneIsPublic = (address: string) =>
  address === '127.0.0.1' ? undefined : findBlockedRange(address);

const servers: TestHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(
  handler: Parameters<typeof startTestHttpServer>[0],
  options?: Parameters<typeof startTestHttpServer>[1],
): Promise<TestHttpServer> {
  const server = await startTestHttpServer(handler, options);
  servers.push(server);
  return server;
}

const text =
  (body: string, type = 'text/plain; charset=utf-8') =>
  (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': type });
    response.end(body);
  };

describe('private networks', () => {
  it('refuses a loopback literal by default, without connecting', async () => {
    const server = await serve((_request, response) => text('secret')(response));
    const error = await expectDocumentError(fetchUrl(server.url('/doc.txt'), LIMITS), 'blocked_address');
    expect(error.message).toContain('loopback');
    expect(error.message).toContain('FLEET_URL_DOCUMENT_ALLOW_PRIVATE');
    expect(server.connections()).toBe(0);
  });

  it('refuses a host name that resolves to loopback (localhost), without connecting', async () => {
    const server = await serve((_request, response) => text('secret')(response));
    await expectDocumentError(fetchUrl(`http://localhost:${server.port}/`, LIMITS), 'blocked_address');
    expect(server.connections()).toBe(0);
  });

  it.each([
    ['decimal IPv4', (port: number) => `http://2130706433:${port}/`],
    ['hex IPv4', (port: number) => `http://0x7f.1:${port}/`],
    ['IPv6 loopback', (port: number) => `http://[::1]:${port}/`],
    ['IPv4-mapped IPv6', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
    ['unspecified', (port: number) => `http://0.0.0.0:${port}/`],
  ])('refuses loopback written as %s', async (_label, url) => {
    const server = await serve((_request, response) => text('secret')(response));
    await expectDocumentError(fetchUrl(url(server.port), LIMITS), 'blocked_address');
    expect(server.connections()).toBe(0);
  });

  it('fetches from loopback when urlAllowPrivateNetworks is on', async () => {
    const server = await serve((_request, response) => text('hello from loopback')(response));
    const fetched = await fetchUrl(server.url('/doc.txt'), ALLOW_PRIVATE);
    expect(Buffer.from(fetched.bytes).toString('utf8')).toBe('hello from loopback');
    expect(fetched.mimeType).toBe('text/plain');
    expect(fetched.finalUrl).toBe(server.url('/doc.txt'));
  });

  it('refuses a host when any one of its addresses is private', async () => {
    const server = await serve((_request, response) => text('secret')(response));
    const resolveHost = async (): Promise<LookupAddress[]> => [
      { address: '127.0.0.1', family: 4 },
      { address: '127.0.0.2', family: 4 },
    ];
    const error = await expectDocumentError(
      fetchUrl(`http://mixed.test:${server.port}/`, LIMITS, undefined, {
        resolveHost,
        addressPolicy: loopbackOneIsPublic,
      }),
      'blocked_address',
    );
    expect(error.message).toContain('127.0.0.2');
    expect(server.connections()).toBe(0);
  });
});

describe('redirects', () => {
  it('checks every hop: a redirect from an allowed host to a private literal is refused', async () => {
    const internal = await serve((_request, response) => text('metadata')(response), { host: '127.0.0.2' });
    const front = await serve((_request, response) => {
      response.writeHead(302, { location: internal.url('/latest/meta-data') });
      response.end();
    });
    await expectDocumentError(
      fetchUrl(front.url('/start'), LIMITS, undefined, { addressPolicy: loopbackOneIsPublic }),
      'blocked_address',
    );
    expect(front.requests.map((request) => request.path)).toEqual(['/start']);
    expect(internal.connections()).toBe(0);
  });

  it('checks every hop: a redirect to a name that resolves privately is refused', async () => {
    const internal = await serve((_request, response) => text('metadata')(response), { host: '127.0.0.2' });
    const front = await serve((_request, response) => {
      response.writeHead(301, { location: `http://internal.test:${internal.port}/` });
      response.end();
    });
    const resolveHost = async (hostname: string): Promise<LookupAddress[]> => {
      expect(hostname).toBe('internal.test');
      return [{ address: '127.0.0.2', family: 4 }];
    };
    await expectDocumentError(
      fetchUrl(front.url('/start'), LIMITS, undefined, { resolveHost, addressPolicy: loopbackOneIsPublic }),
      'blocked_address',
    );
    expect(front.requests).toHaveLength(1);
    expect(internal.connections()).toBe(0);
  });

  it('resolves again on every hop, so DNS rebinding to a private address is refused', async () => {
    // The same name and port answer 127.0.0.1 on the first lookup and 127.0.0.2 afterwards.
    const front = await serve((request, response) => {
      if (request.url === '/start') {
        response.writeHead(302, { location: '/next' });
        response.end();
      } else text('front')(response);
    });
    const internal = await serve((_request, response) => text('metadata')(response), {
      host: '127.0.0.2',
      port: front.port,
    });
    const answers: string[] = [];
    const resolveHost = async (): Promise<LookupAddress[]> => {
      const address = answers.length === 0 ? '127.0.0.1' : '127.0.0.2';
      answers.push(address);
      return [{ address, family: 4 }];
    };
    await expectDocumentError(
      fetchUrl(`http://rebind.test:${front.port}/start`, LIMITS, undefined, {
        resolveHost,
        addressPolicy: loopbackOneIsPublic,
      }),
      'blocked_address',
    );
    expect(answers).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(front.requests.map((request) => request.path)).toEqual(['/start']);
    expect(internal.connections()).toBe(0);
  });

  it('follows relative redirects up to the limit and reports the final URL', async () => {
    const server = await serve((request, response) => {
      const step = Number(request.url?.split('/')[2]);
      if (step < 2) {
        response.writeHead(307, { location: `../hop/${step + 1}`, 'set-cookie': 'session=abc' });
        response.end();
      } else text('arrived')(response);
    });
    const fetched = await fetchUrl(server.url('/hop/0'), ALLOW_PRIVATE);
    expect(Buffer.from(fetched.bytes).toString()).toBe('arrived');
    expect(fetched.finalUrl).toBe(server.url('/hop/2'));
    expect(server.requests.map((request) => request.path)).toEqual(['/hop/0', '/hop/1', '/hop/2']);
    // No cookie jar: a Set-Cookie on one hop is never sent on the next.
    expect(server.requests.every((request) => request.headers.cookie === undefined)).toBe(true);
  });

  it('stops a redirect chain longer than urlMaxRedirects', async () => {
    const server = await serve((request, response) => {
      const step = Number(request.url?.slice(1));
      response.writeHead(302, { location: `/${step + 1}` });
      response.end();
    });
    const error = await expectDocumentError(fetchUrl(server.url('/0'), ALLOW_PRIVATE), 'too_many_redirects');
    expect(error.message).toContain('more than 2');
    // The original request plus the two redirects allowed; the third redirect is not followed.
    expect(server.requests.map((request) => request.path)).toEqual(['/0', '/1', '/2']);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(302, { location: 'file:///etc/passwd' });
      response.end();
    });
    const error = await expectDocumentError(fetchUrl(server.url('/'), ALLOW_PRIVATE), 'invalid_url');
    expect(error.message).toContain('file:');
  });
});

describe('limits', () => {
  it('rejects a declared Content-Length over the limit before reading the body', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/plain',
        'content-length': String(LIMITS.urlMaxBytes + 1),
      });
      response.end('x'.repeat(LIMITS.urlMaxBytes + 1));
    });
    const error = await expectDocumentError(fetchUrl(server.url('/big'), ALLOW_PRIVATE), 'too_large');
    expect(error.message).toContain('declares');
    expect(error.message).toContain('FLEET_URL_DOCUMENT_MAX_BYTES');
  });

  it('cuts off a body without Content-Length once it passes the limit', async () => {
    // Twice the limit, then the response stays open: only a byte count can stop this early,
    // since waiting for the end would run into the (long) read timeout instead.
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('y'.repeat(2 * LIMITS.urlMaxBytes));
    });
    const error = await expectDocumentError(fetchUrl(server.url('/stream'), ALLOW_PRIVATE), 'too_large');
    expect(error.message).toContain('sent more than');
  });

  it('accepts a body of exactly the limit', async () => {
    const server = await serve((_request, response) => text('z'.repeat(LIMITS.urlMaxBytes))(response));
    const fetched = await fetchUrl(server.url('/exact'), ALLOW_PRIVATE);
    expect(fetched.bytes.byteLength).toBe(LIMITS.urlMaxBytes);
  });

  it('decodes a gzip body a server sends anyway, and counts the decoded size', async () => {
    const small = gzipSync('compressed hello');
    const bomb = gzipSync(Buffer.alloc(4 * LIMITS.urlMaxBytes));
    const server = await serve((request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      response.end(request.url === '/bomb' ? bomb : small);
    });
    const fetched = await fetchUrl(server.url('/small'), ALLOW_PRIVATE);
    expect(Buffer.from(fetched.bytes).toString()).toBe('compressed hello');
    expect(bomb.length).toBeLessThan(LIMITS.urlMaxBytes);
    await expectDocumentError(fetchUrl(server.url('/bomb'), ALLOW_PRIVATE), 'too_large');
  });

  it('times out a server that stalls mid-body', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      response.write('only part of it');
    });
    const started = Date.now();
    const error = await expectDocumentError(
      fetchUrl(server.url('/slow'), { ...ALLOW_PRIVATE, urlReadTimeoutMs: 300 }),
      'timeout',
    );
    expect(error.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('times out a server that trickles: the read timeout is total, not per chunk', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => response.write('.'), 50);
      response.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    await expectDocumentError(
      fetchUrl(server.url('/trickle'), { ...ALLOW_PRIVATE, urlReadTimeoutMs: 400 }),
      'timeout',
    );
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('times out a compressed body that stalls, instead of waiting on the decoder', async () => {
    const compressed = gzipSync('z'.repeat(10_000));
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      response.write(compressed.subarray(0, compressed.length / 2));
    });
    await expectDocumentError(
      fetchUrl(server.url('/'), { ...ALLOW_PRIVATE, urlReadTimeoutMs: 300 }),
      'timeout',
    );
  });

  it('times out a connection that never gets established', async () => {
    // A resolver that never answers stands in for a black-holed host: the lookup is part of
    // the connect phase, so the connect timeout must fire.
    const error = await expectDocumentError(
      fetchUrl('http://blackhole.test/', { ...LIMITS, urlConnectTimeoutMs: 200 }, undefined, {
        resolveHost: () => new Promise<LookupAddress[]>(() => {}),
      }),
      'timeout',
    );
    expect(error.message).toContain('did not connect within 200 ms');
  });

  it('stops when the caller aborts, with the caller reason', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    });
    const controller = new AbortController();
    const reason = new Error('turn cancelled');
    const pending = fetchUrl(server.url('/'), ALLOW_PRIVATE, controller.signal);
    // Abort once the server has the request in hand, so the fetch is really in flight.
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('responses and URLs', () => {
  it('reports a 404 as fetch_failed with the status', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('nope');
    });
    const error = await expectDocumentError(fetchUrl(server.url('/missing'), ALLOW_PRIVATE), 'fetch_failed');
    expect(error.message).toContain('HTTP 404');
  });

  it('reports a body cut short by the server as fetch_failed', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      response.write('half', () => response.socket?.destroy());
    });
    const error = await expectDocumentError(fetchUrl(server.url('/'), ALLOW_PRIVATE), 'fetch_failed');
    expect(error.message).toContain('before the document was complete');
  });

  it('reports a gzip body cut short by the server as fetch_failed', async () => {
    const compressed = gzipSync('z'.repeat(10_000));
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      response.write(compressed.subarray(0, compressed.length / 2), () => response.socket?.destroy());
    });
    await expectDocumentError(fetchUrl(server.url('/'), ALLOW_PRIVATE), 'fetch_failed');
  });

  it('reports a host that does not resolve as fetch_failed', async () => {
    const resolveHost = async (): Promise<LookupAddress[]> => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    };
    const error = await expectDocumentError(
      fetchUrl('http://nowhere.test/', LIMITS, undefined, { resolveHost }),
      'fetch_failed',
    );
    expect(error.message).toContain("'nowhere.test' could not be resolved");
  });

  it('reports a refused connection as fetch_failed', async () => {
    const server = await serve(() => {});
    const url = server.url('/');
    await server.close();
    servers.pop();
    const error = await expectDocumentError(fetchUrl(url, ALLOW_PRIVATE), 'fetch_failed');
    expect(error.message).toContain('refused');
  });

  it('sends the fixed User-Agent and nothing identifying', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const server = await serve((_request, response) => text('ok')(response));
    await fetchUrl(server.url('/'), ALLOW_PRIVATE);
    const headers = server.requests[0]!.headers;
    expect(headers['user-agent']).toBe(`fleet-rlm/${version}`);
    expect(headers.cookie).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
  });

  it.each([
    'file:///etc/passwd',
    'ftp://example.com/file.txt',
    'javascript:alert(1)',
    'data:text/plain,hello',
    'not a url',
    'https://user:secret@example.com/doc.pdf',
  ])('refuses %s as invalid_url', async (url) => {
    await expectDocumentError(fetchUrl(url, ALLOW_PRIVATE), 'invalid_url');
  });
});
