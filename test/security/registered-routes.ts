/**
 * Every route a Fastify app has registered, read from fastify's own `printRoutes()` tree, so a
 * test of "every route is protected" sees routes added by plugins too and cannot be fooled by a
 * list the server keeps about itself.
 */
import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  /** The route pattern, e.g. `/api/v1/sessions/:id`. */
  url: string;
}

/** Parses lines like `│   ├── /turns (GET, HEAD)`: the depth is the column of the branch. */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = [...match[1]!].length / 4;
    const path = `${prefixes[depth - 1] ?? ''}${match[2]!}`;
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) routes.push({ method, url: path });
  }
  return routes;
}

/** A concrete path for a pattern: every `:param` and `*` becomes `x` (a bare `*` becomes `/x`). */
export function concretePath(pattern: string): string {
  if (pattern === '*') return '/x';
  return pattern.replace(/:[A-Za-z_]+/g, 'x').replace(/\*$/, 'x');
}

/**
 * The same path with one letter of one segment percent-encoded, once per segment (`/%61pi/...`,
 * `/api/%761/...`), in lower and upper case hex: what a router decodes but a string test misses.
 */
export function encodedVariants(path: string): string[] {
  const segments = path.split('/');
  const variants: string[] = [];
  segments.forEach((segment, index) => {
    const at = segment.search(/[A-Za-z]/);
    if (at < 0) return;
    const hex = segment.charCodeAt(at).toString(16);
    for (const code of [hex.toLowerCase(), hex.toUpperCase()]) {
      const encoded = `${segment.slice(0, at)}%${code}${segment.slice(at + 1)}`;
      variants.push(segments.map((part, i) => (i === index ? encoded : part)).join('/'));
    }
  });
  return [...new Set(variants)];
}
