/**
 * One `--url` for both halves of the API: users give the server's base URL
 * (`http://127.0.0.1:8000`), and the clients derive the HTTP base and the execution socket URL
 * from it. A `ws(s)://` URL is accepted too, since that is what a socket URL looks like in logs.
 */

export const EXECUTION_SOCKET_PATH = '/api/v1/ws/execution';

/** `http(s)://host[:port][/prefix]`, without a trailing slash. */
export function httpBaseUrl(url: string): string {
  const parsed = parse(url);
  parsed.protocol =
    parsed.protocol === 'wss:' ? 'https:' : parsed.protocol === 'ws:' ? 'http:' : parsed.protocol;
  const path = parsed.pathname.replace(/\/+$/, '');
  // A socket URL given as the base still means the server it lives on.
  parsed.pathname = path.endsWith(EXECUTION_SOCKET_PATH)
    ? path.slice(0, -EXECUTION_SOCKET_PATH.length)
    : path;
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

/** `ws(s)://host[:port][/prefix]/api/v1/ws/execution`. */
export function executionSocketUrl(url: string): string {
  const base = new URL(httpBaseUrl(url));
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${base.toString().replace(/\/+$/, '')}${EXECUTION_SOCKET_PATH}`;
}

function parse(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a URL: '${url}'; expected e.g. http://127.0.0.1:8000`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new TypeError(`unsupported URL scheme ${parsed.protocol} in '${url}'; use http(s):// or ws(s)://`);
  }
  return parsed;
}
