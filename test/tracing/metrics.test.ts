/** The Prometheus registry's text format, the fleet metric set and the metrics observer. */
import { describe, expect, it } from 'vitest';
import { fleetMetrics, MetricsObserver, MetricsRegistry } from '../../src/tracing/metrics.js';
import type { LmCallRecord } from '../../src/tracing/observer-registry.js';
import { ObserverRegistry } from '../../src/tracing/observer-registry.js';

describe('MetricsRegistry', () => {
  it('renders counters and gauges in text format 0.0.4', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter({
      name: 'app_requests_total',
      help: 'Requests.\nBy route.',
      labelNames: ['route', 'code'],
    });
    const temperature = registry.gauge({ name: 'app_temperature', help: 'Degrees \\ C' });
    const idle = registry.counter({ name: 'app_idle_total', help: 'Never incremented.' });
    requests.inc({ route: '/a', code: '200' });
    requests.inc({ route: '/a', code: '200' }, 2);
    requests.inc({ route: 'say "hi"\\\n', code: '500' });
    requests.inc({ route: '/a', code: '200' }, -5); // ignored: counters only go up
    temperature.set(21.5);
    temperature.dec(0.5);
    expect(idle.get()).toBe(0);
    expect(registry.render()).toBe(
      [
        '# HELP app_requests_total Requests.\\nBy route.',
        '# TYPE app_requests_total counter',
        'app_requests_total{route="/a",code="200"} 3',
        'app_requests_total{route="say \\"hi\\"\\\\\\n",code="500"} 1',
        '# HELP app_temperature Degrees \\\\ C',
        '# TYPE app_temperature gauge',
        'app_temperature 21',
        '# HELP app_idle_total Never incremented.',
        '# TYPE app_idle_total counter',
        'app_idle_total 0',
        '',
      ].join('\n'),
    );
  });

  it('refuses a second metric with the same name and bad names', () => {
    const registry = new MetricsRegistry();
    registry.counter({ name: 'x_total', help: 'x' });
    expect(() => registry.counter({ name: 'x_total', help: 'x' })).toThrow(/twice/);
    expect(() => registry.gauge({ name: 'bad-name', help: 'x' })).toThrow(/bad metric name/);
  });

  it('fills a gauge from its collector at each render, and survives a failing one', () => {
    const metrics = fleetMetrics();
    let idle = 2;
    metrics.observeSandboxPool(() => ({ idle, leased: 1, starting: 0 }));
    expect(metrics.registry.render()).toContain('fleet_sandboxes{state="idle"} 2');
    idle = 0;
    expect(metrics.registry.render()).toContain('fleet_sandboxes{state="idle"} 0');
    metrics.observeSandboxPool(() => {
      throw new Error('pool closed');
    });
    expect(metrics.registry.render()).toContain('fleet_sandboxes{state="leased"} 1');
  });
});

describe('fleetMetrics', () => {
  it('defines every fleet metric with HELP and TYPE lines', () => {
    const text = fleetMetrics().registry.render();
    for (const [name, type] of [
      ['fleet_turns_total', 'counter'],
      ['fleet_lm_calls_total', 'counter'],
      ['fleet_lm_tokens_total', 'counter'],
      ['fleet_lm_cost_usd_total', 'counter'],
      ['fleet_sandbox_executions_total', 'counter'],
      ['fleet_event_frames_total', 'counter'],
      ['fleet_event_frames_not_durable_total', 'counter'],
      ['fleet_trace_export_failures_total', 'counter'],
      ['fleet_trace_spans_dropped_total', 'counter'],
      ['fleet_active_turns', 'gauge'],
      ['fleet_sandboxes', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      expect(text).toMatch(new RegExp(`# HELP ${name} \\S`));
    }
  });
});

describe('MetricsObserver', () => {
  const call = (overrides: Partial<LmCallRecord> = {}): LmCallRecord => ({
    role: 'planner',
    model: 'openai/gpt-4.1-mini',
    provider: 'openai',
    purpose: 'agent.step',
    latencyMs: 120,
    usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, costUsd: 0.0025 },
    ok: true,
    input: [{ role: 'user', content: 'hi' }],
    output: 'hello',
    ...overrides,
  });

  it('counts LM calls, tokens, cost and turns from the observer registry', () => {
    const metrics = fleetMetrics();
    const registry = new ObserverRegistry();
    expect(registry.register(new MetricsObserver(metrics))).toBe(true);
    expect(registry.register(new MetricsObserver(metrics))).toBe(false);
    registry.lmCall(call());
    registry.lmCall(
      call({
        ok: false,
        usage: { inputTokens: 5, outputTokens: 0, totalTokens: 5, costUsd: null },
        error: 'boom',
      }),
    );
    registry.lmCall(
      call({
        role: 'delegate_small',
        model: 'openai/small',
        usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, costUsd: 0.0005 },
      }),
    );
    const turn = { turnId: 't1', sessionId: 's1', workspaceId: 'w', userId: 'u', executionMode: 'auto' };
    registry.turnStarted(turn);
    registry.turnStarted({ ...turn, turnId: 't2' });
    expect(metrics.activeTurns.get()).toBe(2);
    registry.turnFinished({ ...turn, status: 'completed' });
    registry.turnFinished({ ...turn, turnId: 't2', status: 'error' });
    registry.turnFinished({ ...turn, turnId: 't3', status: 'cancelled' }); // never seen starting

    expect(metrics.lmCalls.get({ role: 'planner', model: 'openai/gpt-4.1-mini', ok: 'true' })).toBe(1);
    expect(metrics.lmCalls.get({ role: 'planner', model: 'openai/gpt-4.1-mini', ok: 'false' })).toBe(1);
    expect(metrics.lmTokens.get({ direction: 'input' })).toBe(205);
    expect(metrics.lmTokens.get({ direction: 'output' })).toBe(40);
    expect(metrics.lmCostUsd.get()).toBeCloseTo(0.003, 10);
    expect(metrics.activeTurns.get()).toBe(0);
    const text = metrics.registry.render();
    expect(text).toContain('fleet_turns_total{status="completed"} 1');
    expect(text).toContain('fleet_turns_total{status="error"} 1');
    expect(text).toContain('fleet_turns_total{status="cancelled"} 1');
    expect(text).toContain('fleet_lm_calls_total{role="delegate_small",model="openai/small",ok="true"} 1');
    expect(text).toContain('fleet_active_turns 0');
    expect(registry.failures).toBe(0);
  });
});
