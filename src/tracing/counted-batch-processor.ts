/**
 * OpenTelemetry's BatchSpanProcessor with its bounds made visible: spans waiting, spans dropped
 * because the queue was full, spans handed to the exporter. The SDK keeps its drop count private
 * and resets it, so the queue depth is tracked here (accepted minus handed over) and a span that
 * would overflow the queue is dropped and counted before it reaches the SDK.
 */
import type { Context } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface BatchLimits {
  maxQueueSize: number;
  maxBatchSize: number;
  scheduledDelayMs: number;
  timeoutMs: number;
}

export interface ExportPipelineStats {
  name: string;
  queued: number;
  /** Spans dropped because the queue was full. */
  dropped: number;
  handedOff: number;
  /** Export calls that failed (each a batch of spans). */
  failedBatches: number;
}

export class CountedBatchProcessor implements SpanProcessor {
  private readonly inner: BatchSpanProcessor;
  private accepted = 0;
  private handedOff = 0;
  private dropped = 0;
  private failedBatches = 0;

  constructor(
    readonly name: string,
    exporter: SpanExporter,
    private readonly limits: BatchLimits,
  ) {
    const counting: SpanExporter = {
      export: (spans: ReadableSpan[], done: (result: ExportResult) => void) => {
        this.handedOff += spans.length;
        exporter.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) this.failedBatches++;
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
    this.inner = new BatchSpanProcessor(counting, {
      maxQueueSize: limits.maxQueueSize,
      maxExportBatchSize: Math.min(limits.maxBatchSize, limits.maxQueueSize),
      scheduledDelayMillis: limits.scheduledDelayMs,
      exportTimeoutMillis: limits.timeoutMs,
    });
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (this.accepted - this.handedOff >= this.limits.maxQueueSize) {
      this.dropped++;
      return;
    }
    this.accepted++;
    this.inner.onEnd(span);
  }

  stats(): ExportPipelineStats {
    return {
      name: this.name,
      queued: this.accepted - this.handedOff,
      dropped: this.dropped,
      handedOff: this.handedOff,
      failedBatches: this.failedBatches,
    };
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
