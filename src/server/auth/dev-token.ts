/**
 * Mints the HS256 tokens the server accepts when no JWKS is configured (`fleet-rlm token`, tests,
 * scripts). The claims mirror Entra's (`tid` = workspace, `oid` = user) plus a standard `sub`,
 * so the same identity mapping serves dev and production tokens.
 */
import { SignJWT } from 'jose';
import { identityValueProblem } from './identity-claims.js';

export const DEFAULT_DEV_TOKEN_SECONDS = 12 * 3600;

export interface DevTokenFields {
  workspaceId: string;
  userId: string;
  email?: string;
  name?: string;
  expiresInSeconds?: number;
  /** Set `aud` / `iss` so a server with AUTH_AUDIENCE / AUTH_ISSUER accepts the token. */
  audience?: string;
  /** `{tenantid}` is replaced by the workspace id, as the verifier expects. */
  issuer?: string;
}

export async function mintDevToken(secret: string, fields: DevTokenFields): Promise<string> {
  const { workspaceId, userId, email, name, audience, issuer } = fields;
  const expiresInSeconds = fields.expiresInSeconds ?? DEFAULT_DEV_TOKEN_SECONDS;
  if (!secret) throw new RangeError('the signing secret is empty; set DEV_JWT_SECRET');
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) {
    throw new RangeError(`expiresInSeconds must be a whole number >= 1; got ${expiresInSeconds}`);
  }
  // Refuse at minting time what the server would refuse at login, with the same words.
  for (const [label, value] of [
    ['workspace id', workspaceId],
    ['user id', userId],
  ] as const) {
    const problem = identityValueProblem(value);
    if (problem) throw new RangeError(`${label} ${problem}`);
  }
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    tid: workspaceId.trim(),
    oid: userId.trim(),
    ...(email !== undefined && { email }),
    ...(name !== undefined && { name }),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId.trim())
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds);
  if (audience) jwt.setAudience(audience);
  if (issuer) jwt.setIssuer(issuer.replaceAll('{tenantid}', workspaceId.trim()));
  return jwt.sign(new TextEncoder().encode(secret));
}
