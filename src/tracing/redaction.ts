/**
 * Redaction of secrets from anything that leaves the process as telemetry or diagnostics: span
 * attributes, PostHog events, connectivity-test errors, logs. Two layers:
 *
 * - exact values: the configured secrets (model and Daytona keys, DEV_JWT_SECRET, MLflow and
 *   PostHog credentials, ...) are replaced wherever they appear, whatever they look like;
 * - patterns: well-known key formats (OpenAI/Anthropic `sk-…`, GitHub `ghp_…`, AWS `AKIA…`,
 *   Google `AIza…`, Slack `xox?-…`, PostHog `phc_…`, Daytona `dtn_…`), JWTs, `Authorization:`
 *   headers and bare bearer tokens, and `api_key=…` / `"password": "…"` style pairs (which
 *   include `?access_token=…` query values in logged URLs).
 *
 * `SecretRedactor` holds the configured secrets for the server's edges (logs, error frames and
 * bodies) and spans alike; secrets are only ever added, so a key replaced by a settings change
 * stays redacted too.
 *
 * Every regex is compiled once and linear: character classes never overlap their neighbours, so
 * no input can make them backtrack catastrophically (a test feeds megabytes of near-misses).
 * Redaction is idempotent: the marker `<redacted>` matches none of the patterns.
 */
import type { Config } from '../config/config.js';

export const REDACTED = '<redacted>';

/**
 * Configured secrets shorter than this are not replaced verbatim: a 4-character "secret" would
 * shred ordinary text (and its absence would give it away anyway).
 */
const MIN_SECRET_LENGTH = 6;

/** Names whose values are secret, matched at the end of a key (`DSPY_LLM_API_KEY`, `accessToken`). */
const SENSITIVE_NAME =
  'api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|token|secret|password|passwd|authorization|credentials?|cookie';

/**
 * Where a key may start: not inside a longer run of key characters. Span values are redacted as
 * the JSON text they are sent as, where a line break before a key is the two characters `\n`;
 * so a key right after a JSON escape counts as starting a word too.
 */
const AFTER_KEY_CHARS = String.raw`(?<=^|[^A-Za-z0-9_-]|\\[nrtbf])`;
/** The same for keys whose alphabet has no `-` (where `\b` would do in plain text). */
const AFTER_WORD_CHARS = String.raw`(?<=^|[^A-Za-z0-9_]|\\[nrtbf])`;

// A lookbehind instead of `\b` where the key's own alphabet holds `-`: with `\b`, input like
// `sk-sk-sk-…` would start a scan after every dash, which is quadratic.
const KEY_PATTERNS: readonly RegExp[] = [
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-api03-…) and look-alikes. 16+ keeps `sk-learn` out.
  `${AFTER_KEY_CHARS}sk-[A-Za-z0-9_-]{16,}`,
  `${AFTER_WORD_CHARS}(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}`,
  `${AFTER_WORD_CHARS}github_pat_[A-Za-z0-9_]{20,}`,
  String.raw`${AFTER_WORD_CHARS}(?:AKIA|ASIA)[A-Z0-9]{16}\b`,
  `${AFTER_KEY_CHARS}AIza[0-9A-Za-z_-]{35}`,
  String.raw`(?<=^|[^A-Za-z0-9-]|\\[nrtbf])xox[abprs]-[A-Za-z0-9-]{10,}`,
  `${AFTER_WORD_CHARS}ph[cxs]_[A-Za-z0-9]{20,}`,
  `${AFTER_WORD_CHARS}dtn_[A-Za-z0-9]{20,}`,
  // JWT: a base64url header that starts `{"` (eyJ), a payload and a signature.
  String.raw`${AFTER_KEY_CHARS}eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
].map((source) => new RegExp(source, 'g'));

/**
 * `name = value`, `name: value`, `"name": "value"`, `Authorization: Bearer value`, also with the
 * quotes escaped (`\"name\": \"value\"`, JSON inside JSON). The name must end a word (`\b`) so
 * `input_tokens: 12` and `token_count=3` stay. A Bearer/Basic scheme word is kept so the reader
 * still sees what kind of credential was there; the lookahead stops a scheme word itself being
 * taken for the value, which keeps redaction idempotent. The value never takes a backslash that
 * escapes a quote or a backslash, so redacted JSON text stays valid JSON.
 */
const PAIR_PATTERN = new RegExp(
  String.raw`\b(\w*(?:${SENSITIVE_NAME})\b)((?:\\*["'])?\s*[:=]\s*(?:\\*["'])?)(?:((?:bearer|basic|token)\s+)|(?!(?:bearer|basic|token)\s))((?:[^\s"'<>,;&}\]\\]|\\(?![\\"']))+)`,
  'gi',
);

/** A bearer token without its header (e.g. quoted from a curl command line). */
const BEARER_PATTERN = new RegExp(String.raw`${AFTER_WORD_CHARS}(bearer\s+)[A-Za-z0-9._~+/=-]{16,}`, 'gi');

/** `scheme://user:password@host`: the password goes, the user stays. */
const USERINFO_PATTERN = /\b([a-z][a-z0-9+.-]{0,15}:\/\/[^\s/:@]+:)[^\s/@\\"]+@/gi;

/**
 * Substrings the patterns above need, so text without any (most model prompts and outputs)
 * skips the dozen pattern passes. Supersets by construction: each key format's prefix (case
 * sensitive, as the key patterns are); a sensitive name followed by its separator, `bearer`
 * and `://` for the rest.
 */
const MAY_HOLD_KEY = /sk-|gh[pousr]_|github_pat_|AKIA|ASIA|AIza|xox[abprs]-|ph[cxs]_|dtn_|eyJ/;
const MAY_HOLD_PAIR = new RegExp(String.raw`(?:${SENSITIVE_NAME})(?:\\*["'])?\s*[:=]|bearer|:\/\/`, 'i');

const SENSITIVE_KEY = new RegExp(`(?:${SENSITIVE_NAME})$`, 'i');

/** True for object keys whose values are secret: `api_key`, `Authorization`, `refreshToken`, … */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Replaces secrets in `text`; `secrets` are exact values to remove wherever they appear. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of secretForms(secret)) {
      if (result.includes(form)) result = result.split(form).join(REDACTED);
    }
  }
  if (MAY_HOLD_PAIR.test(result)) {
    // Pairs first: `Authorization: Bearer eyJ…` then keeps its scheme word.
    result = result.replace(PAIR_PATTERN, (_match, name: string, separator: string, scheme = '') => {
      return `${name}${separator}${scheme}${REDACTED}`;
    });
    result = result.replace(USERINFO_PATTERN, `$1${REDACTED}@`);
    result = result.replace(BEARER_PATTERN, `$1${REDACTED}`);
  }
  if (MAY_HOLD_KEY.test(result)) {
    for (const pattern of KEY_PATTERNS) result = result.replace(pattern, REDACTED);
  }
  return result;
}

/**
 * The secret as written in JSON text, once and twice nested, where JSON escapes it. Kept per
 * secret: redaction runs on every span value, and the configured secrets are a handful.
 */
const formsBySecret = new Map<string, string[]>();
const MAX_REMEMBERED_SECRETS = 64;

function secretForms(secret: string): string[] {
  let forms = formsBySecret.get(secret);
  if (forms) return forms;
  const once = JSON.stringify(secret).slice(1, -1);
  // Longest first, so no form is replaced inside a longer one.
  forms = once === secret ? [secret] : [JSON.stringify(once).slice(1, -1), once, secret];
  if (formsBySecret.size >= MAX_REMEMBERED_SECRETS) formsBySecret.clear();
  formsBySecret.set(secret, forms);
  return forms;
}

/** Redaction with the server's configured secrets, shared by every edge that text leaves by. */
export class SecretRedactor {
  private secrets: readonly string[] = [];
  private jsonSecrets: readonly string[] = [];

  constructor(secrets: readonly string[] = []) {
    this.add(secrets);
  }

  /** Adds secrets (e.g. a model key set by a settings change); earlier ones stay. */
  add(secrets: readonly string[]): void {
    const all = new Set([...this.secrets, ...secrets.filter((secret) => secret !== '')]);
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...all].sort((a, b) => b.length - a.length);
    // JSON text (span values, log lines) may hold a secret escaped once more than secretForms covers.
    this.jsonSecrets = [
      ...new Set(this.secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)])),
    ];
  }

  /** The configured secrets now (for consumers that take a list). */
  values(): readonly string[] {
    return this.secrets;
  }

  /** Plain text: a log line, an error message. */
  text(value: string): string {
    return redactText(value, this.secrets);
  }

  /** JSON text: a serialised span value or a JSON log line; the JSON stays valid. */
  jsonText(value: string): string {
    return redactText(value, this.jsonSecrets);
  }

  /** A structured value (error details): strings redacted, sensitive keys blanked. */
  value(value: unknown): unknown {
    return redactValue(value, this.secrets);
  }
}

const MAX_DEPTH = 32;

/**
 * A deep copy of `value` with secrets removed: strings go through redactText, values under
 * sensitive keys become `<redacted>`, bytes become `<bytes:N>`, cycles `<circular>` and nesting
 * past 32 levels `<max-depth>`. Errors become `{name, message}`.
 */
export function redactValue(value: unknown, secrets: readonly string[] = []): unknown {
  return redactNode(value, secrets, 0, new WeakSet());
}

function redactNode(
  value: unknown,
  secrets: readonly string[],
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '<max-depth>';
  if (seen.has(value)) return '<circular>';
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `<bytes:${value.byteLength}>`;
  if (value instanceof Date) return value;
  seen.add(value);
  try {
    if (value instanceof Error) {
      return { name: value.name, message: redactText(value.message, secrets) };
    }
    if (Array.isArray(value)) return value.map((item) => redactNode(item, secrets, depth + 1, seen));
    if (value instanceof Map) {
      return Object.fromEntries(
        [...value.entries()].map(([key, item]) => redactEntry(String(key), item, secrets, depth, seen)),
      );
    }
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => redactEntry(key, item, secrets, depth, seen)),
    );
  } finally {
    // Only the current path counts as a cycle; the same object twice side by side is fine.
    seen.delete(value);
  }
}

function redactEntry(
  key: string,
  item: unknown,
  secrets: readonly string[],
  depth: number,
  seen: WeakSet<object>,
): [string, unknown] {
  if (isSensitiveKey(key) && item !== null && item !== undefined && item !== '') return [key, REDACTED];
  return [key, redactNode(item, secrets, depth + 1, seen)];
}

/** `text` cut to `max` characters, saying how much was left out. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  // Never split a surrogate pair: half an emoji is not valid UTF-16 on the wire.
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… [truncated, ${text.length - end} more chars]`;
}

/**
 * The secret values of a configuration, for exact-value redaction: every setting the config
 * schema marks `secret` (model keys, the dev JWT secret, MLflow, PostHog and Daytona
 * credentials, the metrics token, OTLP header values), longest first, without blanks.
 */
export function configuredSecrets(config: Pick<Config, 'secrets'>): string[] {
  return [...config.secrets];
}
