/**
 * A small MLflow 3 tracking-server client over plain `fetch` (no MLflow SDK): health and version,
 * experiments, trace search and fetch, assessments (feedback, expectations) and trace tags.
 * Writes of spans go over OTLP (`otlpTarget`), not through here. Every call has a short timeout
 * and fails with an `MlflowError`. Wire details: shared/reference/mlflow-wire.md, checked
 * against MLflow 3.17.2 by test/tracing/mlflow/.
 */
import { MlflowError } from './mlflow-error.js';
import { MlflowHttp, type MlflowHttpOptions } from './mlflow-http.js';
import { decodeSpans, type MlflowSpan } from './mlflow-span.js';
import {
  decodeAssessment,
  decodeTraceInfo,
  type MlflowAssessment,
  type MlflowTraceInfo,
} from './mlflow-trace-info.js';

export type MlflowClientOptions = MlflowHttpOptions;

export interface MlflowHealth {
  /** `GET /health` answered 200 with the body `OK`, as MLflow does. */
  ok: boolean;
  status: number;
  /** The start of the body, to show what else answered when `ok` is false. */
  body: string;
}

export interface MlflowExperiment {
  experimentId: string;
  name: string;
  lifecycleStage: string;
}

export interface SearchTracesOptions {
  experimentId: string | string[];
  /** MLflow filter grammar, e.g. ``metadata.`mlflow.trace.session` = 'abc' AND trace.status = 'OK'``. */
  filter?: string;
  /** 1–500 on 3.17.2 (1000 is refused with INVALID_PARAMETER_VALUE); MLflow's default is 100. */
  maxResults?: number;
  pageToken?: string;
  /** E.g. `['timestamp_ms DESC']`. */
  orderBy?: string[];
  abortSignal?: AbortSignal;
}

export interface SearchTracesResult {
  traces: MlflowTraceInfo[];
  nextPageToken?: string;
}

export interface MlflowTrace {
  info: MlflowTraceInfo;
  spans: MlflowSpan[];
  /** False when the spans endpoint failed and only the info could be read. */
  spansIncluded: boolean;
}

export type AssessmentSourceType = 'HUMAN' | 'LLM_JUDGE' | 'CODE';

/** Feedback values MLflow accepts: objects are refused. */
export type FeedbackValue = boolean | number | string | string[];

interface AssessmentInputBase {
  /** No `.` allowed (MLflow's rule; 3.17.2 does not enforce it, older clients and the UI do). */
  name: string;
  /** Who gave it: the user id for HUMAN feedback. */
  sourceId: string;
  sourceType?: AssessmentSourceType;
  /** Values are sent as strings: MLflow 3.17.2 silently drops a metadata map with non-strings. */
  metadata?: Record<string, string | number | boolean>;
  /** Attach to one span instead of the whole trace. */
  spanId?: string;
}

export interface FeedbackInput extends AssessmentInputBase {
  value: FeedbackValue;
  rationale?: string;
}

export interface ExpectationInput extends AssessmentInputBase {
  /** Any JSON value (objects are stored as JSON text and decoded again on read). */
  value: unknown;
}

const MAX_TAG_KEY = 250;
const MAX_TAG_VALUE = 4096;

export class MlflowClient {
  private readonly http: MlflowHttp;
  private readonly experiments = new Map<string, Promise<MlflowExperiment>>();

  constructor(options: MlflowClientOptions) {
    this.http = new MlflowHttp(options);
  }

  /** The tracking URI without credentials, for messages and status. */
  get displayUri(): string {
    return this.http.displayUri;
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Where and how to POST OTLP protobuf spans into an experiment. */
  otlpTarget(experimentId: string): { url: string; headers: Record<string, string> } {
    return {
      url: `${this.http.baseUrl}/v1/traces`,
      headers: { ...this.http.authHeaders(), 'x-mlflow-experiment-id': experimentId },
    };
  }

  /** Throws only when nothing answers; a foreign server shows up as `ok: false`. */
  async health(options: { timeoutMs?: number } = {}): Promise<MlflowHealth> {
    const response = await this.http.text({ method: 'GET', path: '/health', timeoutMs: options.timeoutMs });
    const body = response.body.trim();
    return {
      ok: response.status === 200 && body === 'OK',
      status: response.status,
      body: body.slice(0, 200),
    };
  }

  /** The server's version string, e.g. `3.17.2`. */
  async version(options: { timeoutMs?: number } = {}): Promise<string> {
    const response = await this.http.text({ method: 'GET', path: '/version', timeoutMs: options.timeoutMs });
    if (response.status !== 200) {
      throw new MlflowError(
        'http',
        `${this.displayUri} answered GET /version with HTTP ${response.status}; is it an MLflow server?`,
        { request: 'GET /version', status: response.status },
      );
    }
    return response.body.trim();
  }

  async getExperimentByName(
    name: string,
    options: { timeoutMs?: number } = {},
  ): Promise<MlflowExperiment | undefined> {
    try {
      const body = await this.http.json<{ experiment?: Record<string, unknown> }>({
        method: 'GET',
        path: '/api/2.0/mlflow/experiments/get-by-name',
        query: { experiment_name: name },
        timeoutMs: options.timeoutMs,
      });
      return toExperiment(body.experiment, name);
    } catch (error) {
      if (MlflowError.isInstance(error) && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  /**
   * The experiment with this name, created when missing. Two processes creating it at once is
   * normal at first start: the loser gets RESOURCE_ALREADY_EXISTS and reads the winner's. A
   * deleted experiment keeps its name in MLflow, so it is an error with the way out.
   */
  getOrCreateExperiment(name: string, options: { timeoutMs?: number } = {}): Promise<MlflowExperiment> {
    const pending = this.experiments.get(name);
    if (pending) return pending;
    const lookup = this.resolveExperiment(name, options).finally(() => this.experiments.delete(name));
    this.experiments.set(name, lookup);
    return lookup;
  }

  async searchTraces(options: SearchTracesOptions): Promise<SearchTracesResult> {
    const experimentIds = Array.isArray(options.experimentId) ? options.experimentId : [options.experimentId];
    const request = 'POST /api/3.0/mlflow/traces/search';
    const body = await this.http.json<{ traces?: unknown[]; next_page_token?: string }>({
      method: 'POST',
      path: '/api/3.0/mlflow/traces/search',
      abortSignal: options.abortSignal,
      body: {
        // The nested location form is required: a flat `{experiment_id}` silently matches nothing.
        locations: experimentIds.map((id) => ({
          type: 'MLFLOW_EXPERIMENT',
          mlflow_experiment: { experiment_id: id },
        })),
        filter: options.filter,
        max_results: options.maxResults,
        order_by: options.orderBy,
        page_token: options.pageToken,
      },
    });
    return {
      traces: (body.traces ?? []).map((trace) => decodeTraceInfo(trace, request)),
      nextPageToken: body.next_page_token || undefined,
    };
  }

  /**
   * Info and spans. `/traces/get` has been seen to answer 500 (and is missing on old servers);
   * then the info alone is returned with `spansIncluded: false` rather than nothing.
   */
  async getTrace(traceId: string, options: { abortSignal?: AbortSignal } = {}): Promise<MlflowTrace> {
    const request = 'GET /api/3.0/mlflow/traces/get';
    try {
      const body = await this.http.json<{ trace?: { trace_info?: unknown; spans?: unknown } }>({
        method: 'GET',
        path: '/api/3.0/mlflow/traces/get',
        query: { trace_id: traceId, allow_partial: 'true' },
        abortSignal: options.abortSignal,
      });
      return {
        info: decodeTraceInfo(body.trace?.trace_info, request),
        spans: decodeSpans(body.trace?.spans),
        spansIncluded: true,
      };
    } catch (error) {
      if (!isSpansEndpointFailure(error)) throw error;
      return { info: await this.getTraceInfo(traceId, options), spans: [], spansIncluded: false };
    }
  }

  async getTraceInfo(traceId: string, options: { abortSignal?: AbortSignal } = {}): Promise<MlflowTraceInfo> {
    const path = `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}`;
    const body = await this.http.json<{ trace?: { trace_info?: unknown } }>({
      method: 'GET',
      path,
      abortSignal: options.abortSignal,
    });
    return decodeTraceInfo(body.trace?.trace_info, `GET ${path}`);
  }

  /** Human (or judge) feedback on a trace, e.g. `response_is_correct: true`. */
  async logFeedback(traceId: string, input: FeedbackInput): Promise<MlflowAssessment> {
    if (typeof input.value === 'object' && !Array.isArray(input.value)) {
      throw new MlflowError(
        'invalid_argument',
        `feedback '${input.name}' has an object value; MLflow accepts a boolean, number, string or list of strings`,
      );
    }
    return this.logAssessment(traceId, input, {
      feedback: { value: input.value },
      rationale: input.rationale,
    });
  }

  /** Ground truth for a trace, e.g. `expected_response`. */
  async logExpectation(traceId: string, input: ExpectationInput): Promise<MlflowAssessment> {
    return this.logAssessment(traceId, input, { expectation: { value: input.value } });
  }

  /** Tags stay editable after ingestion (metadata does not). */
  async setTag(traceId: string, key: string, value: string): Promise<void> {
    if (!key || key.length > MAX_TAG_KEY || value.length > MAX_TAG_VALUE) {
      throw new MlflowError(
        'invalid_argument',
        `trace tag '${key.slice(0, 40)}' breaks MLflow's limits: key 1–${MAX_TAG_KEY} chars, value at most ${MAX_TAG_VALUE}`,
      );
    }
    // The v2 path is the one MLflow's own Python client uses; 3.17.2 accepts v3 as well.
    await this.http.json({
      method: 'PATCH',
      path: `/api/2.0/mlflow/traces/${encodeURIComponent(traceId)}/tags`,
      body: { key, value },
    });
  }

  private async resolveExperiment(name: string, options: { timeoutMs?: number }): Promise<MlflowExperiment> {
    const existing = await this.getExperimentByName(name, options);
    if (existing) return usable(existing);
    try {
      const created = await this.http.json<{ experiment_id?: unknown }>({
        method: 'POST',
        path: '/api/2.0/mlflow/experiments/create',
        body: { name },
        timeoutMs: options.timeoutMs,
      });
      if (typeof created.experiment_id !== 'string') {
        throw new MlflowError(
          'invalid_response',
          `${this.displayUri} created experiment '${name}' but returned no experiment_id`,
          { request: 'POST /api/2.0/mlflow/experiments/create' },
        );
      }
      return { experimentId: created.experiment_id, name, lifecycleStage: 'active' };
    } catch (error) {
      if (!MlflowError.isInstance(error) || error.errorCode !== 'RESOURCE_ALREADY_EXISTS') throw error;
      const winner = await this.getExperimentByName(name, options);
      if (!winner) throw error;
      return usable(winner);
    }
  }

  private async logAssessment(
    traceId: string,
    input: AssessmentInputBase,
    payload: Record<string, unknown>,
  ): Promise<MlflowAssessment> {
    checkAssessmentName(input.name);
    if (!input.sourceId) {
      throw new MlflowError(
        'invalid_argument',
        `assessment '${input.name}' needs a sourceId (e.g. the user id)`,
      );
    }
    const path = `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/assessments`;
    const body = await this.http.json<{ assessment?: unknown }>({
      method: 'POST',
      path,
      body: {
        assessment: {
          assessment_name: input.name,
          // MLflow takes the trace id from the URL and ignores this one; sent for older servers.
          trace_id: traceId,
          span_id: input.spanId,
          source: { source_type: input.sourceType ?? 'HUMAN', source_id: input.sourceId },
          metadata: input.metadata ? stringValues(input.metadata) : undefined,
          ...payload,
        },
      },
    });
    return decodeAssessment(body.assessment, `POST ${path}`);
  }
}

function checkAssessmentName(name: string): void {
  if (!name || name.includes('.')) {
    throw new MlflowError(
      'invalid_argument',
      `assessment name '${name}' is not allowed: it must be non-empty and contain no '.' (use '_', e.g. 'response_is_correct')`,
    );
  }
}

function stringValues(metadata: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, String(value)]));
}

function toExperiment(wire: Record<string, unknown> | undefined, name: string): MlflowExperiment | undefined {
  if (!wire || typeof wire.experiment_id !== 'string') return undefined;
  return {
    experimentId: wire.experiment_id,
    name: typeof wire.name === 'string' ? wire.name : name,
    lifecycleStage: typeof wire.lifecycle_stage === 'string' ? wire.lifecycle_stage : 'active',
  };
}

function usable(experiment: MlflowExperiment): MlflowExperiment {
  if (experiment.lifecycleStage !== 'deleted') return experiment;
  throw new MlflowError(
    'experiment_deleted',
    `MLflow experiment '${experiment.name}' (id ${experiment.experimentId}) is deleted: restore it with \`mlflow experiments restore --experiment-id ${experiment.experimentId}\` or set MLFLOW_EXPERIMENT to another name`,
  );
}

/** A server error, or a 404 that is a missing route rather than a missing trace. */
function isSpansEndpointFailure(error: unknown): boolean {
  if (!MlflowError.isInstance(error)) return false;
  if (error.kind === 'invalid_response') return true;
  if (error.kind !== 'http' || error.status === undefined) return false;
  return error.status >= 500 || (error.status === 404 && error.errorCode !== 'RESOURCE_DOES_NOT_EXIST');
}
