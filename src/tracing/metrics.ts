/**
 * Process metrics in the Prometheus text exposition format 0.0.4, without a client library:
 * counters and gauges with labels in a small registry, `render()` for `GET /metrics`, the
 * fleet's own metric set (`fleetMetrics()`), and `MetricsObserver`, which counts LM calls,
 * tokens, cost and turns from the observer registry's records.
 *
 * Format reference: https://prometheus.io/docs/instrumenting/exposition_formats/ — one
 * `# HELP` and `# TYPE` line per metric, then `name{label="value"} number` samples; label values
 * escape `\`, `"` and newlines, HELP text escapes `\` and newlines.
 */
import type { LmCallRecord, Observer, TurnRecord } from './observer-registry.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels<L extends string> = [L] extends [never] ? Record<string, never> : Record<L, string>;

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

abstract class Metric<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  abstract readonly type: 'counter' | 'gauge';

  constructor(options: MetricOptions<L>) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(options.name))
      throw new TypeError(`bad metric name ${options.name}`);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
  }

  /** The current value for these labels (0 when never touched). */
  get(labels?: Labels<L>): number {
    return this.values.get(this.key(labels ?? {}))?.value ?? 0;
  }

  private collector?: (metric: this) => void;

  /** Refreshes the metric from a callback at each render (a pool's stats, an emitter's counts). */
  collectWith(collector: (metric: this) => void): void {
    this.collector = collector;
  }

  /** Called before rendering. */
  collect(): void {
    try {
      this.collector?.(this);
    } catch {
      // A failing source keeps the last values; a scrape must never fail because of it.
    }
  }

  render(): string {
    this.collect();
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    // A metric without labels shows 0 before its first event, so rate() has a starting point.
    if (this.values.size === 0 && this.labelNames.length === 0) lines.push(`${this.name} 0`);
    for (const { labels, value } of this.values.values()) {
      lines.push(`${this.name}${renderLabels(labels)} ${formatNumber(value)}`);
    }
    return lines.join('\n');
  }

  protected add(labels: Labels<L> | undefined, delta: number, replace: boolean): void {
    const given = (labels ?? {}) as Record<string, string>;
    const key = this.key(given);
    const entry = this.values.get(key);
    if (entry) entry.value = replace ? delta : entry.value + delta;
    else this.values.set(key, { labels: this.pick(given), value: delta });
  }

  private pick(labels: Record<string, string>): Record<string, string> {
    return Object.fromEntries(this.labelNames.map((name) => [name, String(labels[name] ?? '')]));
  }

  private key(labels: Record<string, string>): string {
    return this.labelNames.map((name) => String(labels[name] ?? '')).join('\u0000');
  }
}

/** Only goes up; `inc` with a negative amount is ignored (a counter that drops breaks rate()). */
export class Counter<L extends string = never> extends Metric<L> {
  readonly type = 'counter';

  inc(...args: [L] extends [never] ? [amount?: number] : [labels: Labels<L>, amount?: number]): void {
    const [labels, amount] = (typeof args[0] === 'object' ? args : [undefined, args[0]]) as [
      Labels<L> | undefined,
      number | undefined,
    ];
    const delta = amount ?? 1;
    if (!Number.isFinite(delta) || delta < 0) return;
    this.add(labels, delta, false);
  }

  /** For a counter read from a monotonic source at scrape time (`collectWith`): its total now. */
  setTotal(...args: [L] extends [never] ? [total: number] : [labels: Labels<L>, total: number]): void {
    const [labels, total] = (args.length === 2 ? args : [undefined, args[0]]) as [
      Labels<L> | undefined,
      number,
    ];
    if (!Number.isFinite(total) || total < this.get(labels)) return;
    this.add(labels, total, true);
  }
}

export class Gauge<L extends string = never> extends Metric<L> {
  readonly type = 'gauge';
  set(...args: [L] extends [never] ? [value: number] : [labels: Labels<L>, value: number]): void {
    const [labels, value] = (args.length === 2 ? args : [undefined, args[0]]) as [
      Labels<L> | undefined,
      number,
    ];
    this.add(labels, value, true);
  }

  inc(...args: [L] extends [never] ? [amount?: number] : [labels: Labels<L>, amount?: number]): void {
    const [labels, amount] = (typeof args[0] === 'object' ? args : [undefined, args[0]]) as [
      Labels<L> | undefined,
      number | undefined,
    ];
    this.add(labels, amount ?? 1, false);
  }

  dec(...args: [L] extends [never] ? [amount?: number] : [labels: Labels<L>, amount?: number]): void {
    const [labels, amount] = (typeof args[0] === 'object' ? args : [undefined, args[0]]) as [
      Labels<L> | undefined,
      number | undefined,
    ];
    this.add(labels, -(amount ?? 1), false);
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric<string>>();

  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.register(new Counter<L>(options));
  }

  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    return this.register(new Gauge<L>(options));
  }

  /** The whole registry in text format 0.0.4, newline-terminated. */
  render(): string {
    return `${[...this.metrics.values()].map((metric) => metric.render()).join('\n')}\n`;
  }

  private register<M extends Metric<string>>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new TypeError(`metric ${metric.name} is registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

/** fleet-rlm's metric set. Counters are fed by MetricsObserver and by the lead's call sites. */
export interface FleetMetrics {
  registry: MetricsRegistry;
  turns: Counter<'status'>;
  lmCalls: Counter<'role' | 'model' | 'ok'>;
  lmTokens: Counter<'direction'>;
  lmCostUsd: Counter;
  sandboxExecutions: Counter<'provider'>;
  eventFrames: Counter;
  eventFramesNotDurable: Counter;
  traceExportFailures: Counter<'exporter'>;
  traceSpansDropped: Counter<'exporter'>;
  activeTurns: Gauge;
  sandboxes: Gauge<'state'>;
  /** Feeds `fleet_sandboxes{state}` from the pool at each scrape. */
  observeSandboxPool(stats: () => { idle: number; leased: number; starting: number }): void;
}

export function fleetMetrics(registry = new MetricsRegistry()): FleetMetrics {
  const sandboxes = registry.gauge({
    name: 'fleet_sandboxes',
    help: 'Sandboxes held by the pool, by state (idle, leased, starting).',
    labelNames: ['state'],
  });
  return {
    registry,
    turns: registry.counter({
      name: 'fleet_turns_total',
      help: 'Chat turns finished, by final status.',
      labelNames: ['status'],
    }),
    lmCalls: registry.counter({
      name: 'fleet_lm_calls_total',
      help: 'Language-model calls, by role, model and success.',
      labelNames: ['role', 'model', 'ok'],
    }),
    lmTokens: registry.counter({
      name: 'fleet_lm_tokens_total',
      help: 'Language-model tokens, by direction (input, output).',
      labelNames: ['direction'],
    }),
    lmCostUsd: registry.counter({
      name: 'fleet_lm_cost_usd_total',
      help: 'Language-model cost in USD (calls of models with a known price only).',
    }),
    sandboxExecutions: registry.counter({
      name: 'fleet_sandbox_executions_total',
      help: 'Code executions in a sandbox, by provider.',
      labelNames: ['provider'],
    }),
    eventFrames: registry.counter({
      name: 'fleet_event_frames_total',
      help: 'Event frames emitted to sessions.',
    }),
    eventFramesNotDurable: registry.counter({
      name: 'fleet_event_frames_not_durable_total',
      help: 'Event frames delivered live but not written to the event log.',
    }),
    traceExportFailures: registry.counter({
      name: 'fleet_trace_export_failures_total',
      help: 'Failed span export batches, by exporter.',
      labelNames: ['exporter'],
    }),
    traceSpansDropped: registry.counter({
      name: 'fleet_trace_spans_dropped_total',
      help: 'Spans dropped before export (queue full or export failed), by exporter.',
      labelNames: ['exporter'],
    }),
    activeTurns: registry.gauge({ name: 'fleet_active_turns', help: 'Chat turns running now.' }),
    sandboxes,
    observeSandboxPool(stats) {
      sandboxes.collectWith((gauge) => {
        const { idle, leased, starting } = stats();
        gauge.set({ state: 'idle' }, idle);
        gauge.set({ state: 'leased' }, leased);
        gauge.set({ state: 'starting' }, starting);
      });
    },
  };
}

/** Counts LM calls, tokens, cost and turns from the observer registry (installed as `metrics`). */
export class MetricsObserver implements Observer {
  readonly name = 'metrics';

  constructor(private readonly metrics: FleetMetrics) {}

  onLmCall(record: LmCallRecord): void {
    const { lmCalls, lmTokens, lmCostUsd } = this.metrics;
    lmCalls.inc({ role: record.role, model: record.model, ok: String(record.ok) });
    lmTokens.inc({ direction: 'input' }, record.usage.inputTokens);
    lmTokens.inc({ direction: 'output' }, record.usage.outputTokens);
    if (record.usage.costUsd !== null) lmCostUsd.inc(record.usage.costUsd);
  }

  onTurnStarted(_record: TurnRecord): void {
    this.metrics.activeTurns.inc();
  }

  onTurnFinished(record: TurnRecord): void {
    const { activeTurns, turns } = this.metrics;
    // Never below zero, even if a turn finished that this observer did not see start.
    if (activeTurns.get() > 0) activeTurns.dec();
    turns.inc({ status: record.status ?? 'unknown' });
  }
}

function renderLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
