/** `GET /api/v1/auth/me`: who the server thinks the caller is. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { meSchema } from '../../contract/http-schemas.js';
import type { ServerContext } from '../server-context.js';

export function authRoutes(_context: ServerContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/auth/me',
      { schema: { tags: ['auth'], response: { 200: meSchema } } },
      async (request) => {
        const { identity, authenticated, isAdmin, email, name } = request.auth;
        return {
          workspace_id: identity.workspaceId,
          user_id: identity.userId,
          authenticated,
          is_admin: isAdmin,
          ...(email ? { email } : {}),
          ...(name ? { name } : {}),
        };
      },
    );
  };
}
