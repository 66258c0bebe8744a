/**
 * How AiSdkLmClient fails, over real HTTP: the AI SDK's retries (which statuses, how many
 * attempts, how long it waits), the per-call timeout, caller aborts, and unreachable servers,
 * each surfacing as one LmError kind.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LmConfig } from '../../src/config/config.js';
import { AiSdkLmClient } from '../../src/lm/ai-sdk-client.js';
import type { LmCallOptions } from '../../src/lm/lm-client.js';
import { lmErrorOf } from '../support/lm-errors.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';

let server: ScriptedLmServer;
beforeAll(async () => {
  server = await ScriptedLmServer.start();
});
afterAll(async () => {
  await server.close();
});

function client(overrides: Partial<LmConfig> = {}, apiBase = server.baseUrl): AiSdkLmClient {
  return new AiSdkLmClient({
    planner: { model: 'openai/m', apiKey: 'sk-test', apiBase },
    timeoutMs: 10_000,
    maxRetries: 2,
    prices: {},
    ...overrides,
  });
}

const ask = (extra: Partial<LmCallOptions> = {}): LmCallOptions => ({
  role: 'planner',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

/** Milliseconds between one request being answered and the next one arriving. */
function gaps(): number[] {
  return server.requests
    .slice(1)
    .map((request, index) => request.receivedAt - server.requests[index]!.respondedAt!);
}

// Let the SDK honour `retry-after-ms` so retry-count tests do not wait out the 2 s/4 s backoff.
const quickRetry = { 'retry-after-ms': '20' };

describe('retries', () => {
  it('retries 429 and 5xx with exponential backoff (2 s, then 4 s) and then succeeds', async () => {
    server.script([
      { reply: { status: 429 }, times: 1 },
      { reply: { status: 503 }, times: 1 },
      { reply: 'finally' },
    ]);
    const response = await client().generate(ask());
    expect(response.text).toBe('finally');
    expect(server.requests).toHaveLength(3);
    const [first, second] = gaps();
    expect(first).toBeGreaterThanOrEqual(1_990);
    expect(first).toBeLessThan(3_000);
    expect(second).toBeGreaterThanOrEqual(3_990);
  }, 20_000);

  it('gives up after maxRetries + 1 attempts with http_error and the status', async () => {
    server.script([{ reply: { status: 500, headers: quickRetry } }]);
    const error = await lmErrorOf(client().generate(ask()));
    expect(error).toMatchObject({ kind: 'http_error', statusCode: 500, role: 'planner', model: 'openai/m' });
    expect(error.message).toContain('after 3 attempts');
    expect(server.requests).toHaveLength(3);
    expect(Math.min(...gaps())).toBeGreaterThanOrEqual(19);
  });

  it('reports a 429 that never clears as rate_limited', async () => {
    server.script([{ reply: { status: 429, headers: quickRetry } }]);
    const error = await lmErrorOf(client({ maxRetries: 1 }).generate(ask()));
    expect(error).toMatchObject({ kind: 'rate_limited', statusCode: 429 });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 400, and keeps the provider message', async () => {
    server.script([
      {
        reply: { status: 400, errorBody: { error: { message: 'context length exceeded', type: 'invalid' } } },
      },
    ]);
    const error = await lmErrorOf(client().generate(ask()));
    expect(error).toMatchObject({ kind: 'http_error', statusCode: 400 });
    expect(error.message).toContain('context length exceeded');
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 401 and says which key to check', async () => {
    server.script([{ reply: { status: 401 } }]);
    const error = await lmErrorOf(client().generate(ask()));
    expect(error).toMatchObject({ kind: 'http_error', statusCode: 401 });
    expect(error.message).toContain('DSPY_LLM_API_KEY');
    expect(server.requests).toHaveLength(1);
  });

  it('answers an unscripted request with a 500 that says so', async () => {
    server.script([{ model: 'some-other-model', reply: 'never' }]);
    const error = await lmErrorOf(client({ maxRetries: 0 }).generate(ask()));
    expect(error).toMatchObject({ kind: 'http_error', statusCode: 500 });
    expect(error.message).toContain('no scripted reply matched');
    expect(server.unmatched.map((request) => request.model)).toEqual(['m']);
  });
});

describe('timeouts and aborts', () => {
  it('turns a server that never answers into a timeout', async () => {
    server.script([{ reply: { hang: true } }]);
    const started = performance.now();
    const error = await lmErrorOf(client().generate(ask({ timeoutMs: 150 })));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('within 150 ms');
    expect(error.message).toContain('RLM_LM_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('uses the configured timeout when the call gives none', async () => {
    server.script([{ reply: { hang: true } }]);
    const error = await lmErrorOf(client({ timeoutMs: 100 }).generate(ask()));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('within 100 ms');
  });

  it('still times out when the caller passes a signal of its own', async () => {
    server.script([{ reply: { hang: true } }]);
    const signal = new AbortController().signal;
    const error = await lmErrorOf(client().generate(ask({ signal, timeoutMs: 100 })));
    expect(error.kind).toBe('timeout');
  });

  it('counts the wait between retries against the timeout', async () => {
    server.script([{ reply: { status: 429 } }]);
    const started = performance.now();
    const error = await lmErrorOf(client().generate(ask({ timeoutMs: 300 })));
    expect(error.kind).toBe('timeout');
    // The SDK would otherwise have waited 2 s before its second attempt.
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a caller abort as aborted, not as a timeout', async () => {
    const controller = new AbortController();
    server.script([
      {
        reply: () => {
          controller.abort();
          return { hang: true };
        },
      },
    ]);
    const error = await lmErrorOf(client().generate(ask({ signal: controller.signal, timeoutMs: 5_000 })));
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('does not call the server when the signal is already aborted', async () => {
    server.script([{ reply: 'never' }]);
    const error = await lmErrorOf(client().generate(ask({ signal: AbortSignal.abort() })));
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(0);
  });
});

describe('unreachable servers', () => {
  it('reports a refused connection as network and names the base URL variable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await lmErrorOf(client({ maxRetries: 0 }, `http://127.0.0.1:${port}/v1`).generate(ask()));
    expect(error.kind).toBe('network');
    expect(error.statusCode).toBeUndefined();
    expect(error.message).toContain('DSPY_LM_API_BASE');
    expect(error.cause).toBeDefined();
  });
});
