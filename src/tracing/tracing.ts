/**
 * A server's span pipeline: one tracer provider whose finished spans fan out, each through its
 * own bounded batch queue, to the embedded trace store, to MLflow (when enabled) and to a generic
 * OTLP backend (when OTEL_EXPORTER_OTLP_* names one). Exports are asynchronous; a slow or absent
 * backend fills and drops its own queue, never a turn. With TRACING_ENABLED=false there is no
 * provider at all and instrumented code gets the API's no-op tracer.
 */
import { type Tracer, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ObservabilityConfig } from '../config/read-observability-config.js';
import type { TraceStore } from '../store/trace-store.js';
import { ensureContextManager, withTracer } from './active-tracer.js';
import { CountedBatchProcessor, type ExportPipelineStats } from './counted-batch-processor.js';
import { EmbeddedTraceExporter } from './embedded-trace-exporter.js';
import { type MlflowExportGate, MlflowSpanExporter } from './mlflow-span-exporter.js';
import type { Redactor } from './span-helpers.js';

export interface TracingOptions {
  config: ObservabilityConfig;
  /** The embedded trace store every span is exported to. */
  store: Pick<TraceStore, 'writeSpans'>;
  /** The MLflow status, when MLflow export is enabled. */
  mlflow?: MlflowExportGate;
  redactor: Redactor;
  version: string;
  log?: (message: string) => void;
}

export interface TracingStats {
  enabled: boolean;
  pipelines: ExportPipelineStats[];
  embedded: { written: number; failed: number };
  mlflow: { exported: number; dropped: number; failed: number } | null;
}

export class Tracing {
  readonly enabled: boolean;
  private readonly provider?: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly processors: CountedBatchProcessor[] = [];
  private readonly embedded: EmbeddedTraceExporter;
  private readonly mlflow?: MlflowSpanExporter;

  constructor(private readonly options: TracingOptions) {
    const { config, store, log } = options;
    this.enabled = config.tracingEnabled;
    this.embedded = new EmbeddedTraceExporter(store, log);
    ensureContextManager();
    if (!this.enabled) {
      this.tracer = trace.getTracer('fleet-rlm');
      return;
    }
    this.processors.push(new CountedBatchProcessor('embedded', this.embedded, config.export));
    if (options.mlflow) {
      this.mlflow = new MlflowSpanExporter(options.mlflow);
      this.processors.push(new CountedBatchProcessor('mlflow', this.mlflow, config.export));
    }
    if (config.otlp.endpoint) {
      const otlp = new OTLPTraceExporter({ url: config.otlp.endpoint, headers: config.otlp.headers });
      this.processors.push(new CountedBatchProcessor('otlp', otlp, config.export));
    }
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'fleet-rlm', 'service.version': options.version }),
      spanProcessors: this.processors,
    });
    this.tracer = this.provider.getTracer('fleet-rlm', options.version);
  }

  /**
   * Runs a turn with this server's tracer and redactor active for everything it awaits; first
   * gives MLflow its cheap per-turn re-check.
   */
  traceTurn<T>(fn: () => T): T {
    this.options.mlflow?.recheck();
    return this.enabled ? withTracer(this.tracer, this.options.redactor, fn) : fn();
  }

  stats(): TracingStats {
    return {
      enabled: this.enabled,
      pipelines: this.processors.map((processor) => processor.stats()),
      embedded: { written: this.embedded.exported, failed: this.embedded.failed },
      mlflow: this.mlflow
        ? { exported: this.mlflow.exported, dropped: this.mlflow.dropped, failed: this.mlflow.failed }
        : null,
    };
  }

  /** Exports everything finished so far (tests and shutdown wait on this). */
  async forceFlush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.provider?.shutdown().catch(() => undefined);
  }
}
