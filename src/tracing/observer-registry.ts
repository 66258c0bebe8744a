/**
 * The one place observability callbacks are installed: tracing-adjacent sinks (PostHog, the
 * metrics counters, ...) register here once — a second registration under the same name is
 * ignored — and receive every LM call and turn. A sink that throws is counted and logged; it
 * never fails or slows the turn that produced the record.
 */

import type { Usage } from '../util/usage.js';

export interface LmCallRecord {
  /** MLflow form `tr-…` when the call ran inside a traced turn. */
  traceId?: string;
  spanId?: string;
  sessionId?: string;
  workspaceId?: string;
  userId?: string;
  role: string;
  /** `provider/model` as configured. */
  model: string;
  provider: string;
  purpose: string;
  latencyMs: number;
  /** As priced once by the traced model; a failed call has no tokens and a null cost. */
  usage: Usage;
  ok: boolean;
  error?: string;
  errorType?: string;
  /** Prompt messages and response text, not yet redacted or truncated (sinks do both). */
  input: Array<{ role: string; content: string }>;
  output: string;
}

export interface TurnRecord {
  traceId?: string;
  turnId: string;
  sessionId: string;
  workspaceId: string;
  userId: string;
  executionMode: string;
  status?: 'completed' | 'cancelled' | 'error';
  durationMs?: number;
  usage?: Usage;
  error?: string;
}

export interface Observer {
  readonly name: string;
  onLmCall?(record: LmCallRecord): void;
  onTurnStarted?(record: TurnRecord): void;
  onTurnFinished?(record: TurnRecord): void;
  shutdown?(): Promise<void>;
}

export class ObserverRegistry {
  private readonly observers = new Map<string, Observer>();
  private failureCount = 0;

  constructor(private readonly log: (message: string) => void = () => {}) {}

  /** False when an observer with this name is already installed (it stays; this one is ignored). */
  register(observer: Observer): boolean {
    if (this.observers.has(observer.name)) return false;
    this.observers.set(observer.name, observer);
    return true;
  }

  names(): string[] {
    return [...this.observers.keys()];
  }

  get failures(): number {
    return this.failureCount;
  }

  lmCall(record: LmCallRecord): void {
    this.each((observer) => observer.onLmCall?.(record));
  }

  turnStarted(record: TurnRecord): void {
    this.each((observer) => observer.onTurnStarted?.(record));
  }

  turnFinished(record: TurnRecord): void {
    this.each((observer) => observer.onTurnFinished?.(record));
  }

  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.observers.values()].map((observer) =>
        observer
          .shutdown?.()
          .catch((error: unknown) => this.log(`observer ${observer.name} shutdown failed: ${String(error)}`)),
      ),
    );
  }

  private each(call: (observer: Observer) => void): void {
    for (const observer of this.observers.values()) {
      try {
        call(observer);
      } catch (error) {
        this.failureCount++;
        this.log(`observer ${observer.name} failed: ${String(error)}`);
      }
    }
  }
}
