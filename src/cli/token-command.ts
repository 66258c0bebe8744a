/**
 * `fleet-rlm token --workspace W --user U`: prints a development token (HS256, signed with
 * DEV_JWT_SECRET) for the server's HTTP routes and WebSockets, e.g.
 * `curl -H "Authorization: Bearer $(fleet-rlm token -w acme -u ada)" …`. Only the token goes to
 * stdout so it can be captured; warnings go to stderr. Refuses when AUTH_JWKS_URL is set, since
 * the server then accepts only its identity provider's tokens and this one would be rejected.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_DEV_JWT_SECRET, loadConfig, readEnvironment } from '../config/config.js';
import { DEFAULT_DEV_TOKEN_SECONDS, mintDevToken } from '../server/auth/dev-token.js';
import { identityValueProblem } from '../server/auth/identity-claims.js';
import { CliError } from './run-command.js';

interface TokenFlags {
  workspace: string;
  user: string;
  email?: string;
  name?: string;
  expires: number;
  envFile?: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print a development token (HS256 with DEV_JWT_SECRET) for the server and its WebSockets')
    .requiredOption('-w, --workspace <id>', 'workspace id (claim tid)', identityPart)
    .requiredOption('-u, --user <id>', 'user id (claims oid and sub)', identityPart)
    .option('--email <email>', 'email claim (display only)')
    .option('--name <name>', 'name claim (display only)')
    .addOption(
      new Option('--expires <duration>', 'lifetime: seconds, or 30m, 12h, 7d')
        .argParser(duration)
        .default(DEFAULT_DEV_TOKEN_SECONDS, '12h'),
    )
    .option('--env-file <path>', 'read variables from this file (default: ./.env when present)')
    .addHelpText(
      'after',
      `
Signs with DEV_JWT_SECRET (environment or .env), which must match the server's. Ids may contain
letters, digits and . _ @ : - (at most 128 characters).

Examples:
  fleet-rlm token --workspace acme --user ada --expires 1h
  curl -H "Authorization: Bearer $(fleet-rlm token -w acme -u ada)" http://127.0.0.1:8000/api/v1/auth/me`,
    )
    .action(async (flags: TokenFlags) => {
      process.stdout.write(`${await tokenCommand(flags)}\n`);
    });
}

async function tokenCommand(flags: TokenFlags): Promise<string> {
  const { auth } = loadConfig(readEnvironment(flags.envFile));
  if (auth.jwksUrl) {
    throw new CliError(
      'AUTH_JWKS_URL is set, so the server accepts only tokens signed by that key set and would ' +
        'reject a dev token; get a token from your identity provider, or unset AUTH_JWKS_URL for local development',
    );
  }
  if (auth.devJwtSecret === DEFAULT_DEV_JWT_SECRET) {
    process.stderr.write(
      `warning: DEV_JWT_SECRET is the default '${DEFAULT_DEV_JWT_SECRET}', so anyone can mint tokens for this ` +
        'server (and it will not start outside APP_ENV=local); set a long random secret, e.g. `openssl rand -base64 32`\n',
    );
  }
  return mintDevToken(auth.devJwtSecret, {
    workspaceId: flags.workspace,
    userId: flags.user,
    email: flags.email,
    name: flags.name,
    expiresInSeconds: flags.expires,
    audience: auth.audience,
    issuer: auth.issuer,
  });
}

function identityPart(value: string): string {
  const problem = identityValueProblem(value);
  if (problem) throw new InvalidArgumentError(`the id ${problem}`);
  return value.trim();
}

function duration(value: string): number {
  const match = /^(\d+)\s*([smhd]?)$/i.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2]!.toLowerCase() || 's'] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new InvalidArgumentError('expected seconds (3600) or a number with s, m, h or d (12h)');
  }
  return seconds;
}
