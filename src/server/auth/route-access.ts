/**
 * Who may call a route, decided on the route the router matched (never on the raw URL, which a
 * percent-encoded spelling gets past). Each route may say `config: { access }`:
 *
 * - `public`: anyone (health, readiness, the API description and docs);
 * - `scraper`: `/metrics`: anyone, unless METRICS_TOKEN is set, then only that bearer token;
 * - `admin`: a signed-in admin (`Authenticator` decides who is one);
 * - anything else, including nothing: a signed-in user. A new route is protected by default.
 *
 * URLs that match no route are answered 404 by the not-found handler without asking for
 * credentials; they reach nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { AuthConfig } from '../../config/config.js';
import { FleetError } from '../../contract/fleet-error.js';
import { AuthError } from './auth-error.js';
import { type AuthContext, type Authenticator, notAdminMessage } from './authenticator.js';

export type RouteAccess = 'public' | 'scraper' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set for every route that is not public (null on public routes). */
    auth: AuthContext;
  }
}

export interface RouteAccessOptions {
  authenticator: Authenticator;
  auth: AuthConfig;
  metricsToken?: string;
}

export function routeAccessHook(options: RouteAccessOptions): onRequestAsyncHookHandler {
  return async function checkAccess(request) {
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? 'user';
    if (access === 'public') return;
    if (access === 'scraper') return checkScraper(request, options.metricsToken);
    const query = request.query as { access_token?: unknown } | undefined;
    request.auth = await options.authenticator.authenticate({
      authorization: request.headers.authorization,
      accessToken: typeof query?.access_token === 'string' ? query.access_token : undefined,
    });
    if (request.auth.warning) request.log.warn({ warning: request.auth.warning }, 'credentials ignored');
    if (access === 'admin' && !request.auth.isAdmin) {
      throw new FleetError('forbidden', notAdminMessage(options.auth.admin, request.auth.identity));
    }
  };
}

function checkScraper(request: FastifyRequest, token: string | undefined): void {
  if (token === undefined) return;
  const header = request.headers.authorization ?? '';
  const sent = /^bearer\s+(.+)$/i.exec(header.trim())?.[1] ?? '';
  if (!sameSecret(sent, token)) {
    throw new AuthError(
      sent ? 'auth_failed' : 'auth_required',
      'metrics need "Authorization: Bearer <METRICS_TOKEN>" (the scrape token this server was started with)',
    );
  }
}

/** Compares digests in constant time, so timing reveals neither how much matched nor the length. */
function sameSecret(sent: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(sent), digest(expected));
}
