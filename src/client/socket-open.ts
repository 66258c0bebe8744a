/**
 * Opening one WebSocket to the server, with the failure said plainly: a refused upgrade
 * (HTTP 401 with the server's `{code, message}` body) is `rejected` and carries the code, while
 * an unreachable server is `connect_failed`. The token travels in the `Authorization` header,
 * never in the URL, since query strings end up in access logs.
 */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { errorBody } from '../contract/http-schemas.js';
import { ClientError } from './client-error.js';

const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_ERROR_BODY = 16 * 1024;

export function openSocket(url: string, token?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    let settled = false;
    const fail = (error: ClientError) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    socket.once('open', () => {
      settled = true;
      resolve(socket);
    });
    socket.once('unexpected-response', (request, response) => {
      void refusal(response).then((error) => {
        request.destroy();
        fail(error);
      });
    });
    socket.on('error', (error) =>
      fail(new ClientError('connect_failed', `cannot connect to ${url}: ${error.message}`, { cause: error })),
    );
  });
}

async function refusal(response: IncomingMessage): Promise<ClientError> {
  const status = response.statusCode ?? 0;
  let text = '';
  try {
    for await (const chunk of response) {
      text += String(chunk);
      if (text.length > MAX_ERROR_BODY) break;
    }
  } catch {
    // The status alone still says enough.
  }
  let body: ReturnType<typeof errorBody.safeParse> | undefined;
  try {
    body = errorBody.safeParse(JSON.parse(text));
  } catch {
    body = undefined;
  }
  const detail = body?.success ? `${body.data.code}: ${body.data.message}` : 'no reason given';
  return new ClientError('rejected', `the server refused the WebSocket: HTTP ${status} ${detail}`, {
    status,
    code: body?.success ? body.data.code : undefined,
  });
}
