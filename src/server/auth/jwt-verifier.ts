/**
 * Verifies a compact JWT and returns its claims, or throws an `AuthError` saying why not.
 *
 * Two mutually exclusive key sources, chosen by configuration:
 * - `AUTH_JWKS_URL` set: asymmetric tokens only (RS256, ES256) checked against the remote key set
 *   (jose `createRemoteJWKSet`: cached, refetched when a token names an unknown `kid` and the
 *   cooldown has passed, so key rotation needs no restart). HS256 is then refused outright: a
 *   shared dev secret next to a real identity provider would be a second, weaker way in.
 * - otherwise: HS256 with `DEV_JWT_SECRET` (what `fleet-rlm token` mints).
 * Every token must carry `exp`; 30 s of clock skew is tolerated. `AUTH_AUDIENCE` and
 * `AUTH_ISSUER` are enforced whenever set. The issuer may contain `{tenantid}`, filled from the
 * token's `tid` (Entra's multi-tenant issuer, as fleet-rlm's ENTRA_ISSUER_TEMPLATE).
 */
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AuthConfig } from '../../config/config.js';
import { ConfigError } from '../../config/config.js';
import { AuthError } from './auth-error.js';

const JWKS_ALGORITHMS = ['RS256', 'ES256'];
const DEV_ALGORITHMS = ['HS256'];
export const CLOCK_TOLERANCE_SECONDS = 30;
const TENANT_PLACEHOLDER = '{tenantid}';

export interface JwtVerifierOptions {
  /** Used for the JWKS request (tests, proxies). Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Least time between two JWKS fetches caused by unknown `kid`s (jose default 30 s). */
  jwksCooldownMs?: number;
  /** How long fetched keys are trusted before a refetch (default 10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Timeout of one JWKS request (default 5 s). */
  jwksTimeoutMs?: number;
}

export type VerifyJwt = (token: string) => Promise<JWTPayload>;

export function createJwtVerifier(config: AuthConfig, options: JwtVerifierOptions = {}): VerifyJwt {
  const jwks = config.jwksUrl !== undefined;
  const key = jwks ? remoteKeys(config.jwksUrl!, options) : new TextEncoder().encode(config.devJwtSecret);
  const issuerTemplate = config.issuer?.includes(TENANT_PLACEHOLDER) ? config.issuer : undefined;
  const verifyOptions = {
    algorithms: jwks ? JWKS_ALGORITHMS : DEV_ALGORITHMS,
    audience: config.audience,
    issuer: issuerTemplate ? undefined : config.issuer,
    requiredClaims: ['exp'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      // Two call sites keep jose's overloads (key vs key resolver) apart for the type checker.
      payload =
        key instanceof Uint8Array
          ? (await jwtVerify(token, key, verifyOptions)).payload
          : (await jwtVerify(token, key, verifyOptions)).payload;
    } catch (error) {
      throw toAuthError(error, jwks);
    }
    if (issuerTemplate) checkTenantIssuer(payload, issuerTemplate);
    return payload;
  };
}

function remoteKeys(url: string, options: JwtVerifierOptions): JWTVerifyGetKey {
  const keys = createRemoteJWKSet(jwksUrl(url), {
    cooldownDuration: options.jwksCooldownMs,
    cacheMaxAge: options.jwksCacheMaxAgeMs,
    timeoutDuration: options.jwksTimeoutMs,
    ...(options.fetch && { [customFetch]: options.fetch as unknown as FetchImplementation }),
  });
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      // Only these two say something about the token; everything else (network, non-200, bad
      // JSON, unusable keys) is the key server's problem and must not look like a bad login.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw error;
      }
      throw new AuthError(
        'auth_unavailable',
        'cannot load the signing keys from AUTH_JWKS_URL; check that the URL is reachable and serves a JWKS',
        { cause: error },
      );
    }
  };
}

/** A JWKS fetched over plain http could be swapped in transit, letting anyone mint tokens. */
function jwksUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError([`AUTH_JWKS_URL must be a URL; got '${value}'`]);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || /^127\./.test(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  throw new ConfigError([`AUTH_JWKS_URL must use https (plain http only on loopback); got '${value}'`]);
}

function checkTenantIssuer(payload: JWTPayload, template: string): void {
  if (typeof payload.tid !== 'string' || !payload.tid) {
    throw new AuthError('auth_failed', 'token has no "tid" claim, which AUTH_ISSUER needs for {tenantid}');
  }
  if (payload.iss !== template.replaceAll(TENANT_PLACEHOLDER, payload.tid)) {
    throw new AuthError('auth_failed', 'token issuer ("iss") does not match AUTH_ISSUER');
  }
}

function toAuthError(error: unknown, jwks: boolean): AuthError {
  if (AuthError.isInstance(error)) return error;
  const failed = (message: string) => new AuthError('auth_failed', message, { cause: error });
  if (error instanceof errors.JWTExpired) return failed('token has expired; get a new one');
  if (error instanceof errors.JWTClaimValidationFailed) return failed(claimMessage(error));
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return failed(
      jwks
        ? 'token algorithm not accepted: with AUTH_JWKS_URL set only RS256/ES256 tokens from that key set are'
        : 'token algorithm not accepted: only HS256 tokens signed with DEV_JWT_SECRET are (AUTH_JWKS_URL is not set)',
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return failed(
      jwks ? 'token signature is invalid' : 'token signature is invalid (not signed with DEV_JWT_SECRET)',
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return failed('no key in AUTH_JWKS_URL matches the token (unknown "kid" or algorithm)');
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return failed('several keys in AUTH_JWKS_URL match the token; it needs a "kid" header');
  }
  return failed('token is malformed: expected a signed JWT (header.payload.signature)');
}

function claimMessage(error: InstanceType<typeof errors.JWTClaimValidationFailed>): string {
  const { claim, reason } = error;
  if (reason === 'missing') {
    return claim === 'exp' ? 'token has no "exp" claim; tokens must expire' : `token has no "${claim}" claim`;
  }
  if (claim === 'aud' && reason === 'check_failed')
    return 'token audience ("aud") does not match AUTH_AUDIENCE';
  if (claim === 'iss' && reason === 'check_failed') return 'token issuer ("iss") does not match AUTH_ISSUER';
  if (claim === 'nbf' && reason === 'check_failed') return 'token is not valid yet ("nbf" is in the future)';
  return `token claim "${claim}" is invalid`;
}
