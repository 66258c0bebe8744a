/** `GET /metrics`: Prometheus text format 0.0.4 from the fleet registry, fed by the observers. */
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsObserver } from '../../../src/tracing/metrics.js';
import { ObserverRegistry } from '../../../src/tracing/observer-registry.js';
import { type RuntimeApp, startRuntimeApp } from './runtime-app.js';

let current: RuntimeApp | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe('GET /metrics', () => {
  it('serves the registry as text/plain version 0.0.4', async () => {
    current = await startRuntimeApp({ env: {} });
    const observers = new ObserverRegistry();
    observers.register(new MetricsObserver(current.metrics));
    observers.lmCall({
      role: 'planner',
      model: 'openai/gpt-4.1-mini',
      provider: 'openai',
      purpose: 'agent.step',
      latencyMs: 10,
      usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10, costUsd: 0.5 },
      ok: true,
      input: [],
      output: '',
    });
    current.metrics.traceSpansDropped.inc({ exporter: 'mlflow' }, 4);

    const response = await current.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = response.body.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE fleet_lm_calls_total counter',
        'fleet_lm_calls_total{role="planner",model="openai/gpt-4.1-mini",ok="true"} 1',
        'fleet_lm_tokens_total{direction="input"} 7',
        'fleet_lm_tokens_total{direction="output"} 3',
        'fleet_lm_cost_usd_total 0.5',
        'fleet_trace_spans_dropped_total{exporter="mlflow"} 4',
        'fleet_event_frames_total 0',
        'fleet_sandboxes{state="idle"} 0',
      ]),
    );
    expect(response.body.endsWith('\n')).toBe(true);
    // Every sample line is `name{labels} value`, every other line a HELP or TYPE comment.
    for (const line of lines.filter(Boolean)) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_:]+ .+|[a-z_:]+(\{[^}]*\})? -?[\d.e+-]+)$/);
    }
  });
});
