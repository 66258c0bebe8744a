/** Redaction of planted secrets from text and objects, its limits, and its speed on large input. */
import { describe, expect, it } from 'vitest';
import { configSettings, loadConfig } from '../../src/config/config.js';
import {
  configuredSecrets,
  isSensitiveKey,
  REDACTED,
  redactText,
  redactValue,
  SecretRedactor,
  truncate,
} from '../../src/tracing/redaction.js';

const OPENAI = 'sk-proj-Abc123Def456Ghi789Jkl012';
const ANTHROPIC = 'sk-ant-api03-AbCdEf_123456-ghIJKLmnop';
const GITHUB = 'ghp_1234567890abcdefghijABCDEFGHIJ123456';
const AWS = 'AKIAIOSFODNN7EXAMPLE';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

/** [what, text holding it, the secret] */
const CASES: Array<[string, string, string]> = [
  ['an OpenAI key', `the key is ${OPENAI}.`, OPENAI],
  ['an Anthropic key', `x-api-key=${ANTHROPIC}`, ANTHROPIC],
  ['a GitHub token', `clone with ${GITHUB}`, GITHUB],
  ['an AWS access key id', `aws ${AWS} here`, AWS],
  ['a JWT', `token ${JWT} end`, JWT],
  ['a bearer header', 'Authorization: Bearer abc.def-ghi', 'abc.def-ghi'],
  ['a basic header', 'authorization: Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA=='],
  ['a bare bearer token', 'curl -H "Bearer 0123456789abcdefXYZ"', '0123456789abcdefXYZ'],
  ['an api_key pair', 'api_key=hunter2hunter2', 'hunter2hunter2'],
  ['an env line', 'DSPY_LLM_API_KEY=local-secret-value', 'local-secret-value'],
  ['a JSON password', '{"password": "p@ssw0rd!", "user": "ann"}', 'p@ssw0rd!'],
  ['a YAML secret', 'client_secret: s3cr3t-value', 's3cr3t-value'],
  ['an access token', "accessToken='tok-abc-123'", 'tok-abc-123'],
  ['URL userinfo', 'MLFLOW_TRACKING_URI=https://ann:hunter22@mlflow.example.com/', 'hunter22'],
  [
    'an access_token query value',
    'GET /api/v1/ws/execution?access_token=opaque-value-42&x=1',
    'opaque-value-42',
  ],
  ['an access_token in a logged URL', '{"url":"/ws?session_id=s&access_token=tok.en.value"}', 'tok.en.value'],
];

describe('redactText', () => {
  it.each(CASES)('removes %s', (_name, text, secret) => {
    const redacted = redactText(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain(REDACTED);
  });

  // Span values are redacted as the JSON text they are sent as: quotes arrive escaped (\"),
  // line breaks as \n, and a value nested in a string is escaped twice.
  it.each(CASES)(
    'removes %s from JSON text, at any nesting, and keeps the JSON valid',
    (_name, text, secret) => {
      for (const content of [text, `first line\n${text}`, `\t${text}\r\n`, `"${text}"`]) {
        const value = { messages: [{ role: 'user', content }], nested: JSON.stringify({ content }) };
        for (const json of [JSON.stringify(value), JSON.stringify(JSON.stringify(value))]) {
          // Each parse throws if redaction broke the escaping at that level.
          const outer = JSON.parse(redactText(json));
          const decoded = typeof outer === 'string' ? JSON.parse(outer) : outer;
          const texts = [decoded.messages[0].content, JSON.parse(decoded.nested).content];
          for (const decodedText of texts) {
            expect(decodedText, json).not.toContain(secret);
            expect(decodedText, json).toContain(REDACTED);
          }
        }
      }
    },
  );

  it('removes configured secrets from JSON text when JSON escapes their characters', () => {
    const secret = 'pa"ss\\word-with-quote';
    const json = JSON.stringify({ error: `login failed for ${secret}` });
    expect(JSON.parse(redactText(json, [secret])).error).toBe(`login failed for ${REDACTED}`);
    const twice = JSON.stringify(json);
    expect(JSON.parse(JSON.parse(redactText(twice, [secret]))).error).toBe(`login failed for ${REDACTED}`);
    expect(redactText(`plain ${secret}`, [secret])).toBe(`plain ${REDACTED}`);
  });

  it('keeps the header name and the scheme, so the reader knows what was there', () => {
    expect(redactText(`Authorization: Bearer ${JWT}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText('"api_key": "abc123"')).toBe(`"api_key": "${REDACTED}"`);
    expect(redactText('https://ann:pw123456@host/x')).toBe(`https://ann:${REDACTED}@host/x`);
  });

  it('removes configured secret values whatever they look like', () => {
    const secret = 'plain-looking-words-42';
    const text = `an error mentioning plain-looking-words-42 twice: plain-looking-words-42`;
    expect(redactText(text, [secret])).toBe(`an error mentioning ${REDACTED} twice: ${REDACTED}`);
  });

  it('ignores configured secrets too short to replace safely', () => {
    expect(redactText('abc and abc', ['abc'])).toBe('abc and abc');
  });

  it('leaves ordinary text, token counts and look-alikes alone', () => {
    const text =
      'input_tokens: 120, output_tokens=30, max_tokens: 64000, token_count=3; use sk-learn; the bearer of news';
    expect(redactText(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = redactText(`Authorization: Bearer ${JWT} api_key=${OPENAI} https://a:b123456@h/`);
    expect(redactText(once)).toBe(once);
  });

  it('stays linear on large and adversarial input', () => {
    const inputs = [
      'sk-'.repeat(300_000),
      'eyJ-'.repeat(250_000),
      'xoxb-'.repeat(200_000),
      'a'.repeat(1_000_000),
      'a-'.repeat(500_000),
      'token='.repeat(150_000),
      'x://a:'.repeat(150_000),
      'bearer '.repeat(150_000),
      '\\nsk-'.repeat(250_000),
      '\\"password\\": \\"'.repeat(100_000),
      'api_key=\\n'.repeat(150_000),
      `${'lorem ipsum dolor sit amet '.repeat(40_000)}api_key=${OPENAI}`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      redactText(input, ['configured-secret-value']);
      expect(performance.now() - started, input.slice(0, 12)).toBeLessThan(1500);
    }
    expect(redactText(inputs.at(-1)!)).not.toContain(OPENAI);
  });
});

describe('redactValue', () => {
  it('redacts values under sensitive keys and strings everywhere, deeply', () => {
    const value = {
      headers: { Authorization: 'Bearer abc', 'x-api-key': 'k', 'content-type': 'json' },
      usage: { input_tokens: 10, max_tokens: 20 },
      nested: [{ note: `leaked ${OPENAI}` }, { refreshToken: 'r-123' }],
      password: '',
      config: { DEV_JWT_SECRET: 'dev-secret-1', model: 'openai/gpt-4.1-mini' },
    };
    const redacted = redactValue(value, ['dev-secret-1']) as typeof value;
    expect(redacted).toEqual({
      headers: { Authorization: REDACTED, 'x-api-key': REDACTED, 'content-type': 'json' },
      usage: { input_tokens: 10, max_tokens: 20 },
      nested: [{ note: `leaked ${REDACTED}` }, { refreshToken: REDACTED }],
      password: '',
      config: { DEV_JWT_SECRET: REDACTED, model: 'openai/gpt-4.1-mini' },
    });
    expect(value.headers.Authorization).toBe('Bearer abc'); // a copy, not in place
  });

  it('handles cycles, depth, bytes, errors and maps', () => {
    const cyclic: Record<string, unknown> = { name: 'root' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { leaf: true };
    for (let index = 0; index < 40; index++) deep = { child: deep };
    const redacted = redactValue({
      cyclic,
      deep,
      bytes: new Uint8Array(12),
      error: new Error(`failed with ${OPENAI}`),
      map: new Map([['apiKey', 'v']]),
      shared: [{ a: 1 }],
    }) as Record<string, unknown>;
    expect((redacted.cyclic as Record<string, unknown>).self).toBe('<circular>');
    expect(JSON.stringify(redacted.deep)).toContain('<max-depth>');
    expect(redacted.bytes).toBe('<bytes:12>');
    expect(redacted.error).toEqual({ name: 'Error', message: `failed with ${REDACTED}` });
    expect(redacted.map).toEqual({ apiKey: REDACTED });
  });

  it('names sensitive keys by their ending', () => {
    for (const key of [
      'api_key',
      'apiKey',
      'DSPY_LLM_API_KEY',
      'Authorization',
      'client_secret',
      'set-cookie',
    ])
      expect(isSensitiveKey(key), key).toBe(true);
    for (const key of ['input_tokens', 'tokens', 'token_count', 'keyboard', 'model']) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
  });
});

describe('truncate', () => {
  it('says how much was cut', () => {
    expect(truncate('abcdefghij', 4)).toBe('abcd… [truncated, 6 more chars]');
    expect(truncate('short', 10)).toBe('short');
  });

  it('never splits a surrogate pair', () => {
    const text = `ab${'😀'}cd`;
    expect(truncate(text, 3)).toBe('ab… [truncated, 4 more chars]');
  });
});

describe('configuredSecrets', () => {
  it('collects the configured keys, longest first, without blanks or duplicates', () => {
    const config = loadConfig({
      DSPY_LM_MODEL: 'openai/a',
      DSPY_LLM_API_KEY: 'planner-key-123',
      DSPY_DELEGATE_LM_MODEL: 'openai/b',
      DEV_JWT_SECRET: 'a-very-long-dev-jwt-secret',
      POSTHOG_API_KEY: 'phc_key_value',
      MLFLOW_TRACKING_PASSWORD: 'mlflow-pass',
      FLEET_DATA_DIR: '/tmp/fleet-redaction-test',
      METRICS_TOKEN: 'scrape-token-0123456789',
      DAYTONA_API_KEY: 'daytona-key-1',
    });
    expect(configuredSecrets(config)).toEqual([
      'a-very-long-dev-jwt-secret',
      'scrape-token-0123456789',
      'planner-key-123',
      'phc_key_value',
      'daytona-key-1',
      'mlflow-pass',
    ]);
  });
});

describe('configuredSecrets from the schema', () => {
  it('takes every value of the settings marked secret, whether or not their role is in use', () => {
    const secret = configSettings().filter((setting) => setting.secret);
    expect(secret.map((setting) => setting.env).sort()).toEqual([
      'DAYTONA_API_KEY',
      'DEV_JWT_SECRET',
      'DSPY_DELEGATE_LM_API_KEY',
      'DSPY_DELEGATE_LM_SMALL_API_KEY',
      'DSPY_LLM_API_KEY',
      'METRICS_TOKEN',
      'MLFLOW_TRACKING_PASSWORD',
      'MLFLOW_TRACKING_TOKEN',
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      'POSTHOG_API_KEY',
    ]);
    const value = (name: string) => `planted-${name.toLowerCase()}-0123456789`;
    // No model is set: a key configured for an unused role is still a secret.
    const env = Object.fromEntries(
      secret.map(({ env: name }) => [name, name.endsWith('_HEADERS') ? `x-key=${value(name)}` : value(name)]),
    );
    const secrets = configuredSecrets(loadConfig(env));
    for (const { env: name } of secret) expect(secrets, name).toContain(value(name));
  });
});

describe('SecretRedactor', () => {
  it('keeps redacting a secret after another is added (a replaced key is still a secret)', () => {
    const redactor = new SecretRedactor(['first-model-key']);
    redactor.add(['second-model-key', '']);
    expect(redactor.text('first-model-key then second-model-key')).toBe(`${REDACTED} then ${REDACTED}`);
    expect(redactor.values()).toEqual(['second-model-key', 'first-model-key']);
  });

  it('redacts JSON text and structured details with the same secrets', () => {
    const redactor = new SecretRedactor(['quote"d-secret']);
    const line = JSON.stringify({ msg: 'failed: quote"d-secret', url: '/x?access_token=abcdef' });
    expect(JSON.parse(redactor.jsonText(line))).toEqual({
      msg: `failed: ${REDACTED}`,
      url: `/x?access_token=${REDACTED}`,
    });
    expect(redactor.value({ reason: 'quote"d-secret', api_key: 'x' })).toEqual({
      reason: REDACTED,
      api_key: REDACTED,
    });
  });
});
