/**
 * One GET of a URL document: one connection, no redirects followed (the caller decides whether a
 * hop is allowed), no cookies, no credentials, no keep-alive. Owns the per-hop limits: the
 * connect timeout (DNS + TCP + TLS), the read timeout (from connected until the whole body is in,
 * not per chunk, so a trickling server cannot stretch it), and the body size, counted on the
 * bytes actually received (after any content decoding) rather than trusted from Content-Length.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { DocumentsConfig } from '../config/config.js';
import { errorMessage } from '../util/text.js';
import { DocumentError } from './document-error.js';
import { formatBytes } from './format-bytes.js';
import type { GuardedLookup } from './guarded-lookup.js';
import { USER_AGENT } from './user-agent.js';

export type HopResult =
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'body'; bytes: Uint8Array; mimeType?: string };

export interface HopOptions {
  limits: DocumentsConfig;
  lookup: GuardedLookup;
  signal?: AbortSignal;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export async function httpGet(url: URL, { limits, lookup, signal }: HopOptions): Promise<HopResult> {
  signal?.throwIfAborted();
  // The first reason to stop wins; whatever node reports after we destroy the request is noise.
  let failure: unknown;
  const client = url.protocol === 'https:' ? https : http;
  const request = client.request({
    protocol: url.protocol,
    // WHATWG URLs keep IPv6 literals bracketed; node wants the bare address.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    headers: { 'user-agent': USER_AGENT, accept: '*/*', 'accept-encoding': 'identity' },
    agent: false,
    lookup,
  });
  const stop = (error: unknown) => {
    failure ??= error;
    request.destroy();
  };
  // Errors before the response reject below; later ones (after we settled, or while the body
  // streams) surface through the body. This listener only keeps them from crashing the process.
  request.on('error', () => {});

  const connectTimer = setTimeout(
    () => stop(timeoutError(url, `did not connect within ${limits.urlConnectTimeoutMs} ms`)),
    limits.urlConnectTimeoutMs,
  );
  let readTimer: NodeJS.Timeout | undefined;
  request.once('socket', (socket) => {
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      readTimer = setTimeout(
        () => stop(timeoutError(url, `did not send the whole document within ${limits.urlReadTimeoutMs} ms`)),
        limits.urlReadTimeoutMs,
      );
    });
  });
  const onAbort = () => stop(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve);
      request.once('error', reject);
      request.end();
    });
    const status = response.statusCode ?? 0;
    if (REDIRECT_STATUSES.has(status)) {
      const location = response.headers.location;
      if (!location) {
        throw new DocumentError('fetch_failed', `${url.href} answered HTTP ${status} without a Location.`);
      }
      return { kind: 'redirect', status, location };
    }
    if (status < 200 || status > 299) {
      throw new DocumentError(
        'fetch_failed',
        `${url.href} answered HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}; ` +
          'check the URL, or download the document yourself and upload it.',
      );
    }
    const declaredLength = Number(response.headers['content-length']);
    if (Number.isFinite(declaredLength) && declaredLength > limits.urlMaxBytes) {
      throw tooLargeError(url, limits.urlMaxBytes, `declares ${formatBytes(declaredLength)}`);
    }
    const bytes = await readBody(decodeContent(url, response), url, limits.urlMaxBytes);
    const mimeType = response.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
    return { kind: 'body', bytes, mimeType };
  } catch (error) {
    throw failure ?? translateError(url, error);
  } finally {
    clearTimeout(connectTimer);
    clearTimeout(readTimer);
    signal?.removeEventListener('abort', onAbort);
    request.destroy();
  }
}

async function readBody(body: Readable, url: URL, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw tooLargeError(url, maxBytes, 'sent more than that');
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/**
 * We ask for `identity`, but a server may compress anyway. Decode what node's zlib can, so the
 * size limit applies to the decoded bytes (a compression bomb is cut off like any large body).
 */
function decodeContent(url: URL, response: IncomingMessage): Readable {
  const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  // `pipeline` destroys the decoder when the response errors or closes early, so reading it
  // fails instead of waiting forever for an end that will not come.
  if (decoder) return pipeline(response, decoder, () => {});
  if (encoding === 'identity' || encoding === '') return response;
  throw new DocumentError(
    'fetch_failed',
    `${url.href} sent the document with Content-Encoding '${encoding}', which cannot be decoded; ` +
      'download it yourself and upload it.',
  );
}

function timeoutError(url: URL, what: string): DocumentError {
  return new DocumentError(
    'timeout',
    `${url.host} ${what}; try again later, or download the document yourself and upload it.`,
  );
}

function tooLargeError(url: URL, maxBytes: number, what: string): DocumentError {
  return new DocumentError(
    'too_large',
    `${url.href} ${what}, over the ${formatBytes(maxBytes)} limit for URL documents ` +
      '(FLEET_URL_DOCUMENT_MAX_BYTES); upload a smaller file or raise the limit.',
  );
}

function translateError(url: URL, error: unknown): unknown {
  if (DocumentError.isInstance(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? `the host '${url.hostname}' could not be resolved`
      : code === 'ECONNREFUSED'
        ? `${url.host} refused the connection`
        : code === 'ECONNRESET'
          ? `${url.host} closed the connection before the document was complete`
          : errorMessage(error);
  return new DocumentError(
    'fetch_failed',
    `Could not fetch ${url.href}: ${reason}. Check the URL and try again.`,
    {
      cause: error,
    },
  );
}
