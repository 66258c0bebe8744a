/**
 * The PostHog observer against a local capture server: the events posthog-node really sends,
 * their properties, redaction of planted secrets, truncation, distinct ids, flush on shutdown
 * and the status a UI shows.
 */
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PosthogObserver, type PosthogObserverOptions } from '../../src/analytics/posthog-observer.js';
import type { PosthogConfig } from '../../src/config/config.js';
import type { LmCallRecord, TurnRecord } from '../../src/tracing/observer-registry.js';
import { ObserverRegistry } from '../../src/tracing/observer-registry.js';
import { CaptureServer } from './capture-server.js';

const LM_KEY = 'sk-test-planted-lm-key-0123456789';
const DAYTONA_KEY = 'daytona-planted-secret-42';
const POSTHOG_KEY = 'phc_testprojectkey';

let capture: CaptureServer;
const observers: PosthogObserver[] = [];

beforeAll(async () => {
  capture = await CaptureServer.start();
});
afterEach(async () => {
  await Promise.all(observers.splice(0).map((observer) => observer.shutdown()));
  capture.batches.length = 0;
  capture.status = 200;
});
afterAll(async () => {
  await capture?.close();
});

function config(overrides: Partial<PosthogConfig> = {}): PosthogConfig {
  return {
    enabled: true,
    apiKey: POSTHOG_KEY,
    host: capture.url,
    flushAt: 100,
    flushIntervalMs: 60_000,
    inputTruncation: 200,
    outputTruncation: 100,
    ...overrides,
  };
}

async function observer(overrides: Partial<PosthogConfig> = {}, extra: Partial<PosthogObserverOptions> = {}) {
  const created = new PosthogObserver({
    config: config(overrides),
    secrets: [LM_KEY, DAYTONA_KEY],
    startup: { appEnv: 'local', authMode: 'dev', databaseRequired: false, version: '1.2.3' },
    client: { fetchRetryCount: 0, requestTimeout: 2000 },
    ...extra,
  });
  observers.push(created);
  await created.ready();
  return created;
}

/** A loopback URL where nothing listens. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function lmCall(overrides: Partial<LmCallRecord> = {}): LmCallRecord {
  return {
    traceId: 'tr-0123456789abcdef0123456789abcdef',
    spanId: '0123456789abcdef',
    sessionId: 'session-1',
    workspaceId: 'ws-1',
    userId: 'user-7',
    role: 'planner',
    model: 'openai/gpt-4.1-mini',
    provider: 'openai',
    purpose: 'agent.step',
    latencyMs: 1500,
    usage: { inputTokens: 1000, outputTokens: 50, totalTokens: 1050, costUsd: 0.0012 },
    ok: true,
    input: [
      { role: 'system', content: `You are a planner. Internal key: ${LM_KEY}. ${'rules '.repeat(200)}` },
      {
        role: 'user',
        content: `My daytona key is ${DAYTONA_KEY} and Authorization: Bearer abcdef0123456789xyz`,
      },
    ],
    output: `Sure. api_key=${LM_KEY} ${'long answer '.repeat(50)}`,
    ...overrides,
  };
}

const turn: TurnRecord = {
  traceId: 'tr-0123456789abcdef0123456789abcdef',
  turnId: 'turn-1',
  sessionId: 'session-1',
  workspaceId: 'ws-1',
  userId: 'user-7',
  executionMode: 'auto',
};

describe('PosthogObserver', () => {
  it('sends $ai_generation and turn events with redacted, truncated payloads', async () => {
    const posthog = await observer();
    const registry = new ObserverRegistry();
    registry.register(posthog);
    registry.turnStarted(turn);
    registry.lmCall(lmCall());
    registry.turnFinished({
      ...turn,
      status: 'error',
      durationMs: 2500,
      usage: { inputTokens: 1000, outputTokens: 50, totalTokens: 1050, costUsd: 0.0012 },
      error: `provider said: invalid key ${LM_KEY}`,
    });
    await posthog.flush();

    expect(capture.batches.length).toBeGreaterThan(0);
    for (const batch of capture.batches) {
      expect(batch.path).toBe('/batch/');
      expect(batch.body.api_key).toBe(POSTHOG_KEY);
    }
    const events = capture.events();
    expect(events.map((event) => event.event)).toEqual([
      'posthog_analytics_initialized',
      'fleet_turn_started',
      '$ai_generation',
      'fleet_turn_finished',
    ]);
    const [initialized, started, generation, finished] = events;
    expect(initialized!.distinct_id).toBe('fleet-server');
    expect(initialized!.properties).toMatchObject({
      component: 'server',
      app_env: 'local',
      auth_mode: 'dev',
      database_required: false,
      version: '1.2.3',
    });
    expect(started!.distinct_id).toBe('user-7');
    expect(started!.properties).toMatchObject({
      turn_id: 'turn-1',
      session_id: 'session-1',
      execution_mode: 'auto',
    });

    const properties = generation!.properties;
    expect(generation!.distinct_id).toBe('user-7');
    expect(properties).toMatchObject({
      $ai_trace_id: turn.traceId,
      $ai_span_id: '0123456789abcdef',
      $ai_session_id: 'session-1',
      $ai_model: 'gpt-4.1-mini',
      $ai_provider: 'openai',
      $ai_latency: 1.5,
      $ai_input_tokens: 1000,
      $ai_output_tokens: 50,
      $ai_total_tokens: 1050,
      $ai_total_cost_usd: 0.0012,
      $ai_success: true,
      $ai_is_error: false,
    });
    const input = properties.$ai_input as Array<{ role: string; content: string }>;
    expect(input.map((message) => message.role)).toEqual(['system', 'user']);
    // The budget (200) is shared: the short user message stays whole, the system prompt is cut.
    expect(input[1]!.content).toBe('My daytona key is <redacted> and Authorization: Bearer <redacted>');
    expect(input[0]!.content).toMatch(/… \[truncated, \d+ more chars\]$/);
    const kept = input.reduce(
      (sum, message) => sum + message.content.replace(/… \[truncated.*$/, '').length,
      0,
    );
    expect(kept).toBeLessThanOrEqual(200);
    const output = properties.$ai_output_choices as Array<{ role: string; content: string }>;
    expect(output[0]!.content.startsWith('Sure. api_key=<redacted> long answer')).toBe(true);
    expect(output[0]!.content).toMatch(/^.{100}… \[truncated, \d+ more chars\]$/s);

    expect(finished!.properties).toMatchObject({
      status: 'error',
      duration_ms: 2500,
      cost_usd: 0.0012,
      error: 'provider said: invalid key <redacted>',
    });
    const wire = JSON.stringify(events);
    for (const secret of [LM_KEY, DAYTONA_KEY, 'abcdef0123456789xyz']) expect(wire).not.toContain(secret);
    expect(posthog.status()).toEqual({ enabled: true, status: 'ready' });
  });

  it('reports failed calls with a redacted error and its type', async () => {
    const posthog = await observer();
    posthog.onLmCall(
      lmCall({
        ok: false,
        error: `HTTP 401: Incorrect API key provided: ${LM_KEY}`,
        errorType: 'http_error',
      }),
    );
    await posthog.flush();
    const generation = capture.events().find((event) => event.event === '$ai_generation')!;
    expect(generation.properties).toMatchObject({
      $ai_success: false,
      $ai_is_error: true,
      $ai_error: 'HTTP 401: Incorrect API key provided: <redacted>',
      $ai_error_type: 'http_error',
    });
  });

  it('uses the user id, then POSTHOG_DISTINCT_ID, then anonymous', async () => {
    const configured = await observer({ distinctId: 'configured-id' });
    configured.onLmCall(lmCall({ userId: undefined, traceId: undefined }));
    await configured.flush();
    const withConfigured = capture.events().filter((event) => event.event === '$ai_generation');
    expect(withConfigured.map((event) => event.distinct_id)).toEqual(['configured-id']);
    expect(capture.events()[0]!.distinct_id).toBe('configured-id'); // the startup event too
    // A call outside a traced turn still gets a trace id (PostHog groups by it).
    expect(withConfigured[0]!.properties.$ai_trace_id).toMatch(/^[0-9a-f-]{36}$/);
    capture.batches.length = 0;

    const anonymous = await observer();
    anonymous.onLmCall(lmCall({ userId: undefined }));
    await anonymous.flush();
    expect(capture.events().find((event) => event.event === '$ai_generation')!.distinct_id).toBe('anonymous');
  });

  it('flushes what is queued on shutdown, and sends nothing after', async () => {
    const posthog = await observer();
    posthog.onTurnStarted(turn);
    expect(capture.batches).toHaveLength(0); // flushAt 100, interval 60 s: still queued
    await posthog.shutdown();
    expect(capture.events().map((event) => event.event)).toEqual([
      'posthog_analytics_initialized',
      'fleet_turn_started',
    ]);
    posthog.onTurnStarted(turn);
    await posthog.shutdown();
    expect(capture.events()).toHaveLength(2);
  });

  it('flushes by itself after POSTHOG_FLUSH_AT events', async () => {
    await observer({ flushAt: 1 });
    await expect.poll(() => capture.events().length, { timeout: 5000 }).toBe(1);
  });

  it('turns degraded when PostHog refuses, without the key in the error, and recovers', async () => {
    capture.status = 401;
    const posthog = await observer();
    posthog.onTurnStarted(turn);
    await posthog.flush();
    const degraded = posthog.status();
    expect(degraded.status).toBe('degraded');
    expect(degraded.error).toMatch(/401/);
    expect(degraded.error).not.toContain(POSTHOG_KEY);

    capture.status = 200;
    posthog.onTurnStarted(turn);
    await posthog.flush();
    expect(posthog.status()).toEqual({ enabled: true, status: 'ready' });
  });

  it('turns degraded when PostHog is unreachable, and never throws into the caller', async () => {
    // posthog-node prints failed background and shutdown flushes itself; keep the test output clean.
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const posthog = await observer({ host: await closedPortUrl() });
      expect(() => posthog.onLmCall(lmCall())).not.toThrow();
      await posthog.flush();
      expect(posthog.status()).toMatchObject({ enabled: true, status: 'degraded' });
      await expect(posthog.shutdown()).resolves.toBeUndefined();
    } finally {
      printed.mockRestore();
    }
  });

  it('is a do-nothing observer when disabled, and degraded when enabled without a key', async () => {
    const disabled = await observer({ enabled: false });
    disabled.onLmCall(lmCall());
    disabled.onTurnFinished({ ...turn, status: 'completed' });
    await disabled.flush();
    await disabled.shutdown();
    expect(disabled.status()).toEqual({ enabled: false, status: 'disabled' });

    const keyless = await observer({ apiKey: undefined });
    keyless.onLmCall(lmCall());
    await keyless.flush();
    expect(keyless.status()).toMatchObject({ enabled: true, status: 'degraded' });
    expect(keyless.status().error).toMatch(/POSTHOG_API_KEY/);
    expect(capture.batches).toHaveLength(0);
  });
});
