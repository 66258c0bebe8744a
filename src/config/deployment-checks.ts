/**
 * Outside APP_ENV=local the server refuses settings that are only safe on one's own machine.
 */
import type { Config } from './config-schema.js';
import { DEFAULT_DEV_JWT_SECRET } from './server-settings.js';

/** The problems (empty when the configuration is fit to serve). */
export function deploymentProblems(config: Pick<Config, 'appEnv' | 'auth' | 'server'>): string[] {
  if (config.appEnv === 'local') return [];
  const problems: string[] = [];
  if (!config.auth.required) problems.push('AUTH_REQUIRED must be true outside APP_ENV=local');
  if (!config.auth.jwksUrl && config.auth.devJwtSecret === DEFAULT_DEV_JWT_SECRET) {
    problems.push('DEV_JWT_SECRET is the default value; set a long random secret or AUTH_JWKS_URL');
  }
  if (config.server.corsOrigins.includes('*')) {
    problems.push('CORS_ALLOWED_ORIGINS must list origins outside APP_ENV=local, not *');
  }
  return problems;
}
