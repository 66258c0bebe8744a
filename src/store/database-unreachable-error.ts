/**
 * Opening the store failed because Postgres could not be reached or refused us. The message
 * names the URL (password masked) and what to check for the particular cause.
 */
import { FleetError } from '../contract/fleet-error.js';

/** Raised at start-up, before any request: never answered to a client. */
export class DatabaseUnreachableError extends FleetError<'internal_error'> {
  static override readonly errorName = 'DatabaseUnreachableError';
  /** DATABASE_URL with any password replaced by `***`. */
  readonly url: string;

  constructor(url: string, cause: unknown) {
    const masked = maskDatabaseUrl(url);
    super(
      'internal_error',
      `cannot connect to Postgres at ${masked}: ${describeCause(cause)}. ${hintFor(cause)} ` +
        '(Or unset DATABASE_URL to use the embedded SQLite database.)',
      { cause },
    );
    this.url = masked;
  }
}

export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

function codeOf(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeCause(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = codeOf(cause);
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  if (!message) return code ?? 'unknown error';
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function hintFor(cause: unknown): string {
  const code = codeOf(cause);
  const message = cause instanceof Error ? cause.message : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'Check that the server is running and that the host and port in DATABASE_URL are right.';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'Check the host name in DATABASE_URL: it does not resolve.';
    case '28P01':
    case '28000':
      return 'Check the user name and password in DATABASE_URL, and pg_hba.conf on the server.';
    case '3D000':
      return 'Check the database name in DATABASE_URL, or create the database (createdb).';
    case 'ETIMEDOUT':
      return 'Check the host and port in DATABASE_URL, and any firewall between here and the server.';
  }
  if (/timeout/i.test(message)) {
    return 'No answer in time: check the host and port in DATABASE_URL, and any firewall on the way.';
  }
  if (/ssl|tls/i.test(message)) return 'Check the sslmode in DATABASE_URL against what the server accepts.';
  return 'Check DATABASE_URL and that the server accepts connections from this machine.';
}
