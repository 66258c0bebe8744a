/**
 * A `fetch` for MlflowClient unit tests: answers by `METHOD /path` from a table, records every
 * call (URL, headers, JSON body), and fails unknown routes loudly.
 */

export interface RecordedCall {
  method: string;
  path: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

export type Route = (call: RecordedCall, signal?: AbortSignal) => Response | Promise<Response>;

export function scriptedFetch(routes: Record<string, Route>): { fetch: typeof fetch; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    const call: RecordedCall = {
      method,
      path: url.pathname,
      url,
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    const route = routes[`${method} ${url.pathname}`];
    if (!route) throw new Error(`scripted fetch: no route for ${method} ${url.pathname}`);
    return route(call, init.signal ?? undefined);
  };
  return { fetch: fetchImpl as typeof fetch, calls };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function text(status: number, body: string): Response {
  return new Response(body, { status });
}

/** Never answers; rejects when the request's signal aborts (the client's timeout). */
export const never: Route = (_call, signal) =>
  new Promise<Response>((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
