/**
 * The settings of the server's edges: CORS_ALLOWED_ORIGINS, TRUST_PROXY, METRICS_TOKEN and the
 * admin settings, read and checked by `server-settings.ts`.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('edge settings', () => {
  it('normalises allowed origins the way browsers send them, and refuses non-origins', () => {
    const config = loadConfig({
      CORS_ALLOWED_ORIGINS: 'HTTP://App.Example:80/, https://app.example:8443, http://localhost:5173, *',
    });
    expect(config.server.corsOrigins).toEqual([
      'http://app.example',
      'https://app.example:8443',
      'http://localhost:5173',
      '*',
    ]);
    expect(
      problems({ CORS_ALLOWED_ORIGINS: 'app.example, https://app.example/ui, ftp://files.example' }),
    ).toEqual([
      expect.stringContaining("got 'app.example'"),
      expect.stringContaining("got 'https://app.example/ui'"),
      expect.stringContaining("got 'ftp://files.example'"),
    ]);
  });

  it('reads TRUST_PROXY as a switch, a hop count or proxy addresses', () => {
    const trust = (value: string) => loadConfig({ TRUST_PROXY: value }).server.trustProxy;
    expect(trust('true')).toBe(true);
    expect(trust('off')).toBe(false);
    expect(trust('1')).toBe(1);
    expect(trust('10.0.0.0/8, ::1, loopback')).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    expect(problems({ TRUST_PROXY: 'proxy.internal, 10.0.0.1/8/1' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY must be .*got 'proxy.internal, 10.0.0.1\/8\/1'$/),
    ]);
  });

  it('wants a METRICS_TOKEN long enough not to be guessed', () => {
    expect(loadConfig({ METRICS_TOKEN: 'x'.repeat(16) }).server.metricsToken).toBe('x'.repeat(16));
    expect(problems({ METRICS_TOKEN: 'short' })).toEqual([
      'METRICS_TOKEN must be at least 16 characters (a long random value)',
    ]);
  });

  it('reads the admins, and makes the local user the admin only in local mode', () => {
    expect(loadConfig({ ADMIN_USERS: 'root, acme/ada' }).auth.admin).toEqual({
      users: ['root', 'acme/ada'],
      roleClaim: 'roles',
      role: 'admin',
      localUserIsAdmin: true,
    });
    expect(
      loadConfig({ APP_ENV: 'staging', ADMIN_ROLE_CLAIM: 'groups', ADMIN_ROLE: 'fleet-admins' }).auth.admin,
    ).toEqual({ users: [], roleClaim: 'groups', role: 'fleet-admins', localUserIsAdmin: false });
    expect(problems({ ADMIN_USERS: 'a/b/c, ok, bad user' })).toEqual([
      expect.stringMatching(/^ADMIN_USERS entries must be .*got 'a\/b\/c, bad user'$/),
    ]);
  });
});
