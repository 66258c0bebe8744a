/**
 * Attack: with AUTH_REQUIRED=true any signed-in user could PATCH the server's settings (and so
 * point the model at their own server) and run the connectivity tests, which spend the
 * operator's model budget and probe reachability.
 *
 * Now changing settings, reading them and running the tests need an admin (ADMIN_USERS, or the
 * `admin` role in the token's `roles` claim); everyone signed in still reads the status.
 * With auth off in local mode the single local user is the admin.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { api, type Harness, startHarness } from '../support/server-harness.js';

const SECRET = 'a-long-test-secret-for-the-admin-test';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function tokenWithRoles(userId: string, roles: unknown): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: 'acme', oid: userId, roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(SECRET));
}

describe('admin-only runtime settings (AUTH_REQUIRED=true)', () => {
  let harness: Harness;
  let bob: string;
  let root: string;
  let elsewhereRoot: string;
  beforeAll(async () => {
    harness = await startHarness({
      AUTH_REQUIRED: 'true',
      DEV_JWT_SECRET: SECRET,
      ADMIN_USERS: 'acme/root',
    });
    bob = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'bob' });
    root = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'root' });
    elsewhereRoot = await mintDevToken(SECRET, { workspaceId: 'other', userId: 'root' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('refuses settings and connectivity tests to a user who is not an admin, saying how to become one', async () => {
    harness.lm.script([{ reply: 'ok' }]);
    const attempts = [
      await api(
        harness,
        'PATCH',
        '/api/v1/runtime/settings',
        { updates: { DSPY_LM_API_BASE: 'http://127.0.0.1:9/v1' } },
        bearer(bob),
      ),
      await api(harness, 'GET', '/api/v1/runtime/settings', undefined, bearer(bob)),
      await api(harness, 'POST', '/api/v1/runtime/tests/lm', undefined, bearer(bob)),
      await api(harness, 'POST', '/api/v1/runtime/tests/daytona', undefined, bearer(bob)),
      // The same user id in another workspace is another user.
      await api(harness, 'POST', '/api/v1/runtime/tests/lm', undefined, bearer(elsewhereRoot)),
    ];
    for (const attempt of attempts) {
      expect([attempt.status, attempt.body?.code]).toEqual([403, 'forbidden']);
      expect(attempt.body?.message).toMatch(/ADMIN_USERS/);
      expect(attempt.body?.message).toMatch(/roles/);
    }
    // The HEAD route fastify adds for the GET is as closed as the GET.
    const head = await api(harness, 'HEAD', '/api/v1/runtime/settings', undefined, bearer(bob));
    expect(head.status).toBe(403);
    expect(harness.lm.requests).toEqual([]);
    const me = await api(harness, 'GET', '/api/v1/auth/me', undefined, bearer(bob));
    expect(me.body).toMatchObject({ user_id: 'bob', is_admin: false });
    // Everyone signed in may still see how the server is doing.
    const status = await api(harness, 'GET', '/api/v1/runtime/status', undefined, bearer(bob));
    expect(status.status).toBe(200);
  });

  it('lets an admin named in ADMIN_USERS change settings and run the tests', async () => {
    harness.lm.script([{ reply: 'ok' }]);
    const me = await api(harness, 'GET', '/api/v1/auth/me', undefined, bearer(root));
    expect(me.body).toMatchObject({ workspace_id: 'acme', user_id: 'root', is_admin: true });
    const patch = await api(
      harness,
      'PATCH',
      '/api/v1/runtime/settings',
      { updates: { DSPY_LM_MAX_TOKENS: '512' } },
      bearer(root),
    );
    expect([patch.status, patch.body?.updated]).toEqual([200, ['DSPY_LM_MAX_TOKENS']]);
    const test = await api(harness, 'POST', '/api/v1/runtime/tests/lm', undefined, bearer(root));
    expect([test.status, test.body?.ok]).toEqual([200, true]);
  });

  it("lets a token with the admin role in its 'roles' claim in, and no other role", async () => {
    for (const [roles, status] of [
      [['reader', 'admin'], 200],
      ['admin', 200],
      [['reader'], 403],
      [{ admin: true }, 403],
      ['administrator', 403],
    ] as const) {
      const token = await tokenWithRoles('carol', roles);
      const response = await api(harness, 'GET', '/api/v1/runtime/settings', undefined, bearer(token));
      expect([JSON.stringify(roles), response.status]).toEqual([JSON.stringify(roles), status]);
    }
  });
});

describe('admin with auth off in local mode', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({});
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('treats the single local user as the admin', async () => {
    const me = await api(harness, 'GET', '/api/v1/auth/me');
    expect(me.body).toMatchObject({ authenticated: false, is_admin: true });
    const patch = await api(harness, 'PATCH', '/api/v1/runtime/settings', {
      updates: { DSPY_LM_MAX_TOKENS: '256' },
    });
    expect(patch.status).toBe(200);
  });
});
