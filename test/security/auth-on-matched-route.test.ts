/**
 * Attack: the auth hook tested the raw URL (`startsWith('/api/')`) while the router decodes it,
 * so `/%61pi/v1/runtime/settings` needed no token. An anonymous caller re-pointed the model's
 * base URL at their own server and received the API key on the next `tests/lm`.
 *
 * Now auth is decided on the matched route: every registered route (plugins' included, both
 * sockets, every percent-encoded spelling) answers 401 without a token unless it is one of the
 * few that declare themselves public.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';
import { api, type Harness, RecordingSocket, startHarness } from '../support/server-harness.js';
import { concretePath, encodedVariants, registeredRoutes } from './registered-routes.js';

const SECRET = 'a-long-test-secret-for-the-route-auth-test';
const API_KEY = 'sk-route-auth-key-0123456789abcdef';
let harness: Harness;
let attacker: ScriptedLmServer;

/**
 * The routes anyone may call: health, readiness, the API description, docs, metrics. (CORS
 * preflights from allowed origins are answered before auth by the CORS hook; any other OPTIONS
 * request needs a token like everything else.)
 */
function isPublic(_method: string, url: string): boolean {
  return ['/health', '/ready', '/openapi.json', '/metrics'].includes(url) || url.startsWith('/docs');
}

beforeAll(async () => {
  attacker = await ScriptedLmServer.start();
  attacker.script([{ reply: 'pwned' }]);
  harness = await startHarness({
    AUTH_REQUIRED: 'true',
    DEV_JWT_SECRET: SECRET,
    DSPY_LLM_API_KEY: API_KEY,
    ADMIN_USERS: 'acme/root',
  });
});
afterAll(async () => {
  await harness?.close();
  await attacker?.close();
});

describe('auth on the matched route', () => {
  it('does not let an encoded path re-point the model and collect the API key', async () => {
    const patch = await api(harness, 'PATCH', '/%61pi/v1/runtime/settings', {
      updates: { DSPY_LM_API_BASE: attacker.baseUrl },
    });
    const test = await api(harness, 'POST', '/%61pi/v1/runtime/tests/lm');
    expect([patch.status, patch.body?.code]).toEqual([401, 'auth_required']);
    expect([test.status, test.body?.code]).toEqual([401, 'auth_required']);
    expect(attacker.requests).toEqual([]);
    const token = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'root' });
    const settings = await api(harness, 'GET', '/api/v1/runtime/settings', undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(settings.body?.values?.DSPY_LM_API_BASE).toBe(harness.lm.baseUrl);
  });

  it('answers 401 on every non-public route, in every percent-encoded spelling', async () => {
    const routes = registeredRoutes(harness.server.app);
    // The parser must have seen the whole table, or this test would pass on nothing.
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: 'GET', url: '/api/v1/sessions/:id/turns' },
        { method: 'PATCH', url: '/api/v1/runtime/settings' },
        { method: 'GET', url: '/api/v1/ws/execution/events' },
        { method: 'GET', url: '/docs/static/index.html' },
      ]),
    );
    const checked: string[] = [];
    for (const { method, url } of routes) {
      if (isPublic(method, url)) continue;
      const path = concretePath(url);
      for (const variant of [path, ...encodedVariants(path)]) {
        const body = ['POST', 'PATCH', 'PUT'].includes(method) ? {} : undefined;
        const response = await api(harness, method, variant, body);
        const code = method === 'HEAD' ? 'auth_required' : response.body?.code;
        expect([method, variant, response.status, code]).toEqual([method, variant, 401, 'auth_required']);
        checked.push(`${method} ${variant}`);
      }
    }
    expect(checked.length).toBeGreaterThan(100);
  });

  it('refuses both sockets without a token, in every percent-encoded spelling', async () => {
    const sockets = registeredRoutes(harness.server.app).filter(
      (route) => route.method === 'GET' && route.url.startsWith('/api/v1/ws/'),
    );
    expect(sockets.map((route) => route.url).sort()).toEqual([
      '/api/v1/ws/execution',
      '/api/v1/ws/execution/events',
    ]);
    for (const { url } of sockets) {
      for (const variant of [url, ...encodedVariants(url)]) {
        await expect(
          RecordingSocket.open(`${harness.wsUrl}${variant}?session_id=x`),
          variant,
        ).rejects.toThrow('HTTP 401');
      }
    }
  });

  it('keeps the public routes public, and answers unmatched URLs with a plain 404', async () => {
    for (const path of ['/health', '/ready', '/openapi.json', '/docs', '/docs/json', '/metrics']) {
      const response = await fetch(`${harness.url}${path}`, { redirect: 'manual' });
      expect([path, response.status < 400]).toEqual([path, true]);
    }
    // A browser's CORS preflight carries no token; the server's own origin gets its answer.
    const origin = harness.url;
    const preflight = await fetch(`${harness.url}/api/v1/runtime/settings`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PATCH' },
    });
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, origin]);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
    for (const path of ['/api/v1/nope', '/%61pi/v1/nope', '/nope']) {
      const response = await api(harness, 'GET', path);
      expect([path, response.status, response.body?.code]).toEqual([path, 404, 'not_found']);
    }
  });
});
