/**
 * The MLflow tracking URI as two views: what we show (status endpoint, logs, error messages),
 * with credentials masked, and what we call, with credentials moved out of the URL. `fetch`
 * refuses URLs that carry `user:pass@`, and MLflow users do write them that way.
 */

export interface ParsedTrackingUri {
  /** Scheme, host, port and path; no credentials, query or fragment; no trailing slash. */
  baseUrl: string;
  /** Safe to print: userinfo as `user:***`, query and fragment dropped (as fleet-rlm (Python)). */
  display: string;
  username?: string;
  password?: string;
}

export function parseTrackingUri(uri: string): ParsedTrackingUri {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { baseUrl: uri, display: maskUnparsable(uri) };
  }
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  const baseUrl = url.toString().replace(/\/+$/, '');
  const display = username ? baseUrl.replace('//', `//${encodeURIComponent(username)}:***@`) : baseUrl;
  return { baseUrl, display, username, password };
}

export function maskTrackingUri(uri: string): string {
  return parseTrackingUri(uri).display;
}

/** True for http(s) URIs on 127.0.0.0/8, `localhost` or `[::1]`: ones we may start a server for. */
export function isLoopbackUri(uri: string): boolean {
  try {
    const { hostname } = new URL(uri);
    return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
  } catch {
    return false;
  }
}

// Not a URL, so no userinfo to find reliably: hide everything up to the last '@'.
function maskUnparsable(uri: string): string {
  const at = uri.lastIndexOf('@');
  return at < 0 ? uri.split('?')[0]! : `***@${uri.slice(at + 1).split('?')[0]}`;
}
