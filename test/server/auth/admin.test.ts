/**
 * Who the Authenticator calls an admin: ADMIN_USERS entries (`user` in any workspace, or
 * `workspace/user`), the admin role in the configured claim, and everyone with auth off in
 * local mode (anyone can be the default identity by sending no token).
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AdminConfig, AuthConfig } from '../../../src/config/config.js';
import { Authenticator } from '../../../src/server/auth/authenticator.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

function authenticator(admin: Partial<AdminConfig>, required = true): Authenticator {
  const config: AuthConfig = {
    required,
    devJwtSecret: SECRET,
    allowQueryTokens: false,
    defaultWorkspaceId: 'default',
    defaultUserId: 'anonymous',
    admin: { users: [], roleClaim: 'roles', role: 'admin', localUserIsAdmin: false, ...admin },
  };
  return new Authenticator(config);
}

async function isAdmin(subject: Authenticator, claims?: Record<string, unknown>): Promise<boolean> {
  if (!claims) return (await subject.authenticate({})).isAdmin;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
  return (await subject.authenticate({ authorization: `Bearer ${token}` })).isAdmin;
}

describe('admins', () => {
  it('takes ADMIN_USERS entries as a user in any workspace, or one workspace/user', async () => {
    const subject = authenticator({ users: ['root', 'acme/ada'] });
    expect(await isAdmin(subject, { tid: 'acme', oid: 'root' })).toBe(true);
    expect(await isAdmin(subject, { tid: 'other', oid: 'root' })).toBe(true);
    expect(await isAdmin(subject, { tid: 'acme', oid: 'ada' })).toBe(true);
    expect(await isAdmin(subject, { tid: 'other', oid: 'ada' })).toBe(false);
    expect(await isAdmin(subject, { tid: 'acme', oid: 'bob' })).toBe(false);
  });

  it('takes the role from the configured claim, as an array or a space-separated string', async () => {
    const subject = authenticator({ roleClaim: 'groups', role: 'fleet-admins' });
    expect(await isAdmin(subject, { tid: 'a', oid: 'u', groups: ['x', 'fleet-admins'] })).toBe(true);
    expect(await isAdmin(subject, { tid: 'a', oid: 'u', groups: 'x fleet-admins' })).toBe(true);
    expect(await isAdmin(subject, { tid: 'a', oid: 'u', groups: 'fleet-admins-not' })).toBe(false);
    expect(await isAdmin(subject, { tid: 'a', oid: 'u', roles: ['fleet-admins'] })).toBe(false);
    expect(await isAdmin(subject, { tid: 'a', oid: 'u', groups: { 'fleet-admins': true } })).toBe(false);
  });

  it('makes everyone the admin with auth off in local mode, and nobody otherwise', async () => {
    expect(await isAdmin(authenticator({ localUserIsAdmin: true }, false))).toBe(true);
    expect(await isAdmin(authenticator({ localUserIsAdmin: true }, false), { tid: 'a', oid: 'u' })).toBe(
      true,
    );
    expect(await isAdmin(authenticator({ localUserIsAdmin: false }, false))).toBe(false);
    // Auth on: local mode alone makes nobody an admin.
    expect(await isAdmin(authenticator({ localUserIsAdmin: true }, true), { tid: 'a', oid: 'u' })).toBe(
      false,
    );
  });
});
