/**
 * The authenticator through its public surface, with real jose tokens: HS256 dev tokens, and
 * RS256/ES256 tokens checked against a JWKS served over loopback HTTP (including rotation and a
 * key server outage).
 */
import { type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AuthConfig, ConfigError } from '../../../src/config/config.js';
import { AuthError } from '../../../src/server/auth/auth-error.js';
import { type AuthContext, Authenticator } from '../../../src/server/auth/authenticator.js';
import { mintDevToken } from '../../../src/server/auth/dev-token.js';
import { mapError } from '../../../src/server/http-error.js';
import { createSigningKey, JwksServer, type SigningKey, signWith } from './jwks-server.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

function config(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    required: true,
    devJwtSecret: SECRET,
    allowQueryTokens: true,
    defaultWorkspaceId: 'default',
    defaultUserId: 'anonymous',
    admin: { users: [], roleClaim: 'roles', role: 'admin', localUserIsAdmin: false },
    ...overrides,
  };
}

function hs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Runs `authenticate` expecting an AuthError; checks the token never leaks into it. */
async function rejection(
  authenticator: Authenticator,
  credentials: { authorization?: string; accessToken?: string },
): Promise<AuthError> {
  let context: AuthContext | undefined;
  try {
    context = await authenticator.authenticate(credentials);
  } catch (error) {
    expect(AuthError.isInstance(error)).toBe(true);
    const authError = error as AuthError;
    for (const secret of [credentials.authorization, credentials.accessToken]) {
      const token = secret?.replace(/^Bearer\s+/i, '');
      if (token && token.length > 8) {
        expect(authError.message).not.toContain(token);
        expect(authError.wwwAuthenticate).not.toContain(token);
        // No recognisable fragment either (e.g. the signature or payload segment).
        for (const part of token.split('.').filter((segment) => segment.length > 8)) {
          expect(authError.message).not.toContain(part);
        }
      }
    }
    return authError;
  }
  throw new Error(`expected an AuthError, got ${JSON.stringify(context)}`);
}

describe('HS256 dev tokens', () => {
  const authenticator = new Authenticator(config());

  it('turns a valid token into an identity with its profile', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada', email: 'ada@acme.test', name: 'Ada' });
    const context = await authenticator.authenticate(bearer(token));
    expect(context).toMatchObject({
      identity: { workspaceId: 'acme', userId: 'ada' },
      authenticated: true,
      email: 'ada@acme.test',
      name: 'Ada',
    });
    expect(context.claims).toMatchObject({ tid: 'acme', oid: 'ada' });
    expect(context.warning).toBeUndefined();
  });

  it('accepts what mintDevToken mints', async () => {
    const token = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'ada', name: 'Ada' });
    const context = await authenticator.authenticate(bearer(token));
    expect(context.identity).toEqual({ workspaceId: 'acme', userId: 'ada' });
    expect(context.claims).toMatchObject({ sub: 'ada', name: 'Ada' });
  });

  it('accepts a lower-case scheme and extra spaces', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada' });
    const context = await authenticator.authenticate({ authorization: `bearer   ${token} ` });
    expect(context.identity.userId).toBe('ada');
  });

  it('rejects a bad signature', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada' }, 'another-secret-another-secret-another');
    const error = await rejection(authenticator, bearer(token));
    expect(mapError(error)).toMatchObject({ code: 'auth_failed', status: 401 });
    expect(error.message).toMatch(/signature is invalid/);
    expect(error.wwwAuthenticate).toContain('error="invalid_token"');
  });

  it('rejects a tampered payload', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada' });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ tid: 'acme', oid: 'root', exp: 9_999_999_999 })).toString(
      'base64url',
    );
    const error = await rejection(authenticator, bearer(`${header}.${forged}.${signature}`));
    expect(error.code).toBe('auth_failed');
  });

  it('rejects an expired token, but tolerates 30 s of clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await hs256({ tid: 'acme', oid: 'ada', exp: now - 120 });
    const error = await rejection(authenticator, bearer(expired));
    expect(error).toMatchObject({ code: 'auth_failed' });
    expect(error.message).toMatch(/expired/);

    const justExpired = await hs256({ tid: 'acme', oid: 'ada', exp: now - 10 });
    expect((await authenticator.authenticate(bearer(justExpired))).authenticated).toBe(true);
  });

  it('rejects a token without exp', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada', exp: undefined });
    const error = await rejection(authenticator, bearer(token));
    expect(error.code).toBe('auth_failed');
    expect(error.message).toMatch(/"exp"/);
  });

  it('rejects a token that is not valid yet', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada', nbf: Math.floor(Date.now() / 1000) + 300 });
    expect((await rejection(authenticator, bearer(token))).message).toMatch(/not valid yet/);
  });

  it('rejects unsigned (alg: none) and malformed tokens', async () => {
    const unsigned = new UnsecuredJWT({ tid: 'acme', oid: 'ada' }).setExpirationTime('1h').encode();
    expect((await rejection(authenticator, bearer(unsigned))).code).toBe('auth_failed');
    const malformed = await rejection(authenticator, bearer('not-a-jwt-at-all'));
    expect(malformed).toMatchObject({ code: 'auth_failed' });
    expect(malformed.message).toMatch(/malformed/);
    const garbage = await rejection(authenticator, bearer('eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2lnbmF0dXJl'));
    expect(garbage.code).toBe('auth_failed');
  });

  it('rejects another scheme without echoing its value', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada' });
    const noScheme = await rejection(authenticator, { authorization: token });
    expect(noScheme.message).toMatch(/Bearer scheme/);
    expect((await rejection(authenticator, { authorization: 'Basic YWRhOnNlY3JldA==' })).code).toBe(
      'auth_failed',
    );
    expect((await rejection(authenticator, { authorization: 'Bearer ' })).code).toBe('auth_failed');
  });

  it('rejects an oversized token before parsing it', async () => {
    const error = await rejection(authenticator, bearer('a'.repeat(20_000)));
    expect(error.message).toMatch(/longer than/);
  });

  it('enforces AUTH_AUDIENCE and AUTH_ISSUER for dev tokens too', async () => {
    const strict = new Authenticator(config({ audience: 'fleet', issuer: 'https://dev.local' }));
    const good = await hs256({ tid: 'acme', oid: 'ada', aud: 'fleet', iss: 'https://dev.local' });
    expect((await strict.authenticate(bearer(good))).authenticated).toBe(true);
    const minted = await mintDevToken(SECRET, {
      workspaceId: 'acme',
      userId: 'ada',
      audience: 'fleet',
      issuer: 'https://dev.local',
    });
    expect((await strict.authenticate(bearer(minted))).authenticated).toBe(true);
    const wrongAudience = await hs256({ tid: 'acme', oid: 'ada', aud: 'other', iss: 'https://dev.local' });
    expect((await rejection(strict, bearer(wrongAudience))).message).toMatch(/audience/);
    const noIssuer = await hs256({ tid: 'acme', oid: 'ada', aud: 'fleet' });
    expect((await rejection(strict, bearer(noIssuer))).message).toMatch(/"iss"/);
  });
});

describe('claims to identity', () => {
  const authenticator = new Authenticator(config());
  const identityOf = async (claims: JWTPayload) =>
    (await authenticator.authenticate(bearer(await hs256(claims)))).identity;

  it('reads tid/oid, then sub, then workspace_id/user_id', async () => {
    expect(await identityOf({ tid: 't1', oid: 'o1', sub: 's1' })).toEqual({
      workspaceId: 't1',
      userId: 'o1',
    });
    expect(await identityOf({ tid: 't1', sub: 's1', user_id: 'u1' })).toEqual({
      workspaceId: 't1',
      userId: 's1',
    });
    expect(await identityOf({ workspace_id: 'w1', user_id: 'u1' })).toEqual({
      workspaceId: 'w1',
      userId: 'u1',
    });
    expect(await identityOf({ tid: 't1', oid: 12345 })).toEqual({ workspaceId: 't1', userId: '12345' });
  });

  it('names the missing claim', async () => {
    const noWorkspace = await rejection(authenticator, bearer(await hs256({ oid: 'ada' })));
    expect(noWorkspace).toMatchObject({ code: 'auth_failed' });
    expect(noWorkspace.message).toMatch(/no workspace claim \("tid" or "workspace_id"\)/);
    const noUser = await rejection(authenticator, bearer(await hs256({ tid: 'acme' })));
    expect(noUser.message).toMatch(/no user claim \("oid" or "sub" or "user_id"\)/);
    const wrongType = await rejection(authenticator, bearer(await hs256({ tid: ['acme'], oid: 'ada' })));
    expect(wrongType.message).toMatch(/"tid" must be a string/);
  });

  it('trims values and keeps only safe characters, up to 128', async () => {
    expect(await identityOf({ tid: '  acme ', oid: 'ada@acme.test' })).toEqual({
      workspaceId: 'acme',
      userId: 'ada@acme.test',
    });
    expect((await identityOf({ tid: 'a'.repeat(128), oid: 'x:y-z_1.2' })).workspaceId).toHaveLength(128);
    for (const [claims, problem] of [
      [{ tid: 'a'.repeat(129), oid: 'ada' }, /"tid" is longer than 128/],
      [{ tid: 'acme', oid: '../etc' }, /"oid" may only contain/],
      [{ tid: 'acme', oid: 'auth0|123' }, /"oid" may only contain/],
      [{ tid: 'acme', oid: 'ada lovelace' }, /"oid" may only contain/],
      [{ tid: '..', oid: 'ada' }, /"tid" may not consist of dots/],
      [{ tid: '   ', oid: 'ada' }, /"tid" is empty/],
    ] as const) {
      const error = await rejection(authenticator, bearer(await hs256(claims)));
      expect(error.code).toBe('auth_failed');
      expect(error.message).toMatch(problem);
    }
  });

  it('refuses default identities that would not pass the same rules', () => {
    expect(() => new Authenticator(config({ defaultUserId: '../x' }))).toThrow(ConfigError);
    expect(() => new Authenticator(config({ defaultWorkspaceId: '' }))).toThrow(/WS_DEFAULT_WORKSPACE_ID/);
  });
});

describe('where the token comes from', () => {
  it('accepts the access_token query only when allowed', async () => {
    const token = await hs256({ tid: 'acme', oid: 'ada' });
    const allowed = new Authenticator(config({ allowQueryTokens: true }));
    expect((await allowed.authenticate({ accessToken: token })).identity.userId).toBe('ada');

    const disallowed = new Authenticator(config({ allowQueryTokens: false }));
    const error = await rejection(disallowed, { accessToken: token });
    expect(mapError(error)).toMatchObject({ code: 'auth_required', status: 401 });
    expect(error.message).toMatch(/ALLOW_QUERY_AUTH_TOKENS=false/);
    expect(error.wwwAuthenticate).toBe('Bearer realm="fleet-rlm"');
  });

  it('prefers the header over the query', async () => {
    const authenticator = new Authenticator(config());
    const header = await hs256({ tid: 'acme', oid: 'from-header' });
    const query = await hs256({ tid: 'acme', oid: 'from-query' });
    const context = await authenticator.authenticate({ ...bearer(header), accessToken: query });
    expect(context.identity.userId).toBe('from-header');
    // A bad header is not rescued by a good query token: the header is what the client meant.
    const error = await rejection(authenticator, { authorization: 'Bearer nope', accessToken: query });
    expect(error.code).toBe('auth_failed');
  });
});

describe('AUTH_REQUIRED', () => {
  it('true: no credentials is auth_required, a bad token auth_failed', async () => {
    const authenticator = new Authenticator(config({ required: true }));
    const missing = await rejection(authenticator, {});
    expect(mapError(missing)).toMatchObject({ code: 'auth_required', status: 401 });
    expect(missing.message).toMatch(/Authorization: Bearer/);
    expect((await rejection(authenticator, { authorization: '  ' })).code).toBe('auth_required');
    const expired = await hs256({ tid: 'acme', oid: 'ada', exp: 1_000 });
    expect((await rejection(authenticator, bearer(expired))).code).toBe('auth_failed');
  });

  it('false: no credentials gives the default identity, quietly', async () => {
    const authenticator = new Authenticator(
      config({ required: false, defaultWorkspaceId: 'local', defaultUserId: 'me' }),
    );
    const context = await authenticator.authenticate({});
    expect(context).toEqual({
      identity: { workspaceId: 'local', userId: 'me' },
      claims: {},
      authenticated: false,
      isAdmin: false,
    });
  });

  it('false: a bad token is downgraded to the default identity with a warning', async () => {
    const authenticator = new Authenticator(config({ required: false }));
    const expired = await hs256({ tid: 'acme', oid: 'ada', exp: 1_000 });
    const context = await authenticator.authenticate(bearer(expired));
    expect(context).toMatchObject({
      identity: { workspaceId: 'default', userId: 'anonymous' },
      authenticated: false,
      claims: {},
    });
    expect(context.warning).toMatch(/^auth_failed: token has expired/);
    expect(context.warning).not.toContain(expired.split('.')[1]);

    const badScheme = await authenticator.authenticate({ authorization: 'Basic abc' });
    expect(badScheme.warning).toMatch(/Bearer scheme/);

    const disallowed = new Authenticator(config({ required: false, allowQueryTokens: false }));
    const fromQuery = await disallowed.authenticate({ accessToken: await hs256({ tid: 'a', oid: 'b' }) });
    expect(fromQuery).toMatchObject({ authenticated: false, identity: { userId: 'anonymous' } });
    expect(fromQuery.warning).toMatch(/ALLOW_QUERY_AUTH_TOKENS=false/);
  });

  it('false: a good token still sets the identity', async () => {
    const authenticator = new Authenticator(config({ required: false }));
    const context = await authenticator.authenticate(bearer(await hs256({ tid: 'acme', oid: 'ada' })));
    expect(context).toMatchObject({ authenticated: true, identity: { workspaceId: 'acme', userId: 'ada' } });
  });
});

describe('JWKS (RS256/ES256 over loopback HTTP)', () => {
  const AUDIENCE = 'api://fleet-rlm';
  const ISSUER = 'https://issuer.test/v2.0';
  let first: SigningKey;
  let elliptic: SigningKey;
  let stranger: SigningKey;
  let server: JwksServer;
  const claims = { tid: 'tenant-1', oid: 'user-1', aud: AUDIENCE, iss: ISSUER };

  beforeAll(async () => {
    [first, elliptic, stranger] = await Promise.all([
      createSigningKey('key-1'),
      createSigningKey('key-ec', 'ES256'),
      createSigningKey('key-1'),
    ]);
    server = await JwksServer.start([first, elliptic]);
  });

  afterEach(() => {
    server.publish([first, elliptic]);
    server.failWith = undefined;
  });

  afterAll(() => server.close());

  const jwksConfig = (overrides: Partial<AuthConfig> = {}) =>
    config({ jwksUrl: server.url, audience: AUDIENCE, issuer: ISSUER, ...overrides });

  it('accepts RS256 and ES256 tokens signed by a published key, fetching the set once', async () => {
    const authenticator = new Authenticator(jwksConfig());
    const before = server.fetches;
    const rsa = await authenticator.authenticate(bearer(await signWith(first, claims)));
    expect(rsa).toMatchObject({
      authenticated: true,
      identity: { workspaceId: 'tenant-1', userId: 'user-1' },
    });
    const ec = await authenticator.authenticate(
      bearer(await signWith(elliptic, { ...claims, oid: 'user-2' })),
    );
    expect(ec.identity.userId).toBe('user-2');
    await authenticator.authenticate(bearer(await signWith(first, claims)));
    expect(server.fetches - before).toBe(1);
  });

  it('rejects a token signed with an unpublished key under a known kid', async () => {
    const authenticator = new Authenticator(jwksConfig());
    const error = await rejection(authenticator, bearer(await signWith(stranger, claims)));
    expect(mapError(error)).toMatchObject({ code: 'auth_failed', status: 401 });
    expect(error.message).toMatch(/signature is invalid/);
  });

  it('rejects a wrong audience or issuer', async () => {
    const authenticator = new Authenticator(jwksConfig());
    const audience = await rejection(
      authenticator,
      bearer(await signWith(first, { ...claims, aud: 'other' })),
    );
    expect(audience.message).toMatch(/audience/);
    const issuer = await rejection(
      authenticator,
      bearer(await signWith(first, { ...claims, iss: 'https://evil.test' })),
    );
    expect(issuer.message).toMatch(/issuer/);
  });

  it('rejects HS256 tokens, even ones signed with the dev secret', async () => {
    const authenticator = new Authenticator(jwksConfig());
    const before = server.fetches;
    const token = await hs256(claims);
    const error = await rejection(authenticator, bearer(token));
    expect(error.code).toBe('auth_failed');
    expect(error.message).toMatch(/only RS256\/ES256/);
    // Refused on the header alone: no key lookup was needed.
    expect(server.fetches).toBe(before);
    // Nor does AUTH_REQUIRED=false turn it into an identity.
    const optional = new Authenticator(jwksConfig({ required: false }));
    expect((await optional.authenticate(bearer(token))).authenticated).toBe(false);
  });

  it('requires exp on JWKS tokens too', async () => {
    const authenticator = new Authenticator(jwksConfig());
    const error = await rejection(
      authenticator,
      bearer(await signWith(first, { ...claims, exp: undefined })),
    );
    expect(error.message).toMatch(/"exp"/);
  });

  it('follows a key rotation once the cooldown has passed', async () => {
    // Keys and tokens first: RSA key generation can take longer than the cooldown on a slow box.
    const second = await createSigningKey('key-2');
    const oldToken = await signWith(first, claims);
    const newToken = await signWith(second, { ...claims, oid: 'user-rotated' });
    const authenticator = new Authenticator(jwksConfig(), { jwksCooldownMs: 500 });
    expect((await authenticator.authenticate(bearer(oldToken))).authenticated).toBe(true);
    const fetchesBefore = server.fetches;

    server.publish([second]);
    // Within the cooldown an unknown kid does not trigger a fetch (so junk kids cannot flood the
    // key server); after it, one refetch picks up the new key.
    expect((await rejection(authenticator, bearer(newToken))).message).toMatch(/no key/);
    expect(server.fetches).toBe(fetchesBefore);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const rotated = await authenticator.authenticate(bearer(newToken));
    expect(rotated.identity.userId).toBe('user-rotated');
    expect(server.fetches).toBe(fetchesBefore + 1);

    // The retired key is gone from the cache too.
    expect((await rejection(authenticator, bearer(oldToken))).code).toBe('auth_failed');
  });

  it('reports a key server outage as auth_unavailable (503), not a bad token', async () => {
    server.failWith = 500;
    const authenticator = new Authenticator(jwksConfig());
    const error = await rejection(authenticator, bearer(await signWith(first, claims)));
    expect(mapError(error)).toMatchObject({ code: 'auth_unavailable', status: 503 });
    expect(error.message).toMatch(/AUTH_JWKS_URL/);

    const optional = new Authenticator(jwksConfig({ required: false }));
    const context = await optional.authenticate(bearer(await signWith(first, claims)));
    expect(context.warning).toMatch(/^auth_unavailable/);
  });

  it('fills {tenantid} in the issuer from the token', async () => {
    const authenticator = new Authenticator(jwksConfig({ issuer: 'https://login.test/{tenantid}/v2.0' }));
    const good = await signWith(first, { ...claims, iss: 'https://login.test/tenant-1/v2.0' });
    expect((await authenticator.authenticate(bearer(good))).identity.workspaceId).toBe('tenant-1');
    const otherTenant = await signWith(first, { ...claims, iss: 'https://login.test/tenant-2/v2.0' });
    expect((await rejection(authenticator, bearer(otherTenant))).message).toMatch(/issuer/);
  });

  it('uses the fetch it is given', async () => {
    const seen: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    const authenticator = new Authenticator(jwksConfig(), { fetch: recordingFetch });
    await authenticator.authenticate(bearer(await signWith(first, claims)));
    expect(seen).toEqual([server.url]);
  });

  it('refuses a JWKS URL over plain http to a non-loopback host', () => {
    expect(() => new Authenticator(config({ jwksUrl: 'http://idp.example.com/keys' }))).toThrow(ConfigError);
    expect(() => new Authenticator(config({ jwksUrl: 'not a url' }))).toThrow(/AUTH_JWKS_URL/);
    expect(() => new Authenticator(config({ jwksUrl: 'https://idp.example.com/keys' }))).not.toThrow();
  });
});
