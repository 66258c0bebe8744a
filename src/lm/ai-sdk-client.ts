/**
 * The `LmClient` over the Vercel AI SDK: resolves a role to its configured model (with the
 * delegate_small -> delegate -> planner fallbacks), runs one `generateText` call under a
 * timeout merged with the caller's signal, and reports text, usage, cost and latency.
 *
 * Retries are the AI SDK's own: `maxRetries` more attempts for retryable failures (HTTP 408,
 * 409, 429, 5xx and connection errors), waiting 2 s then 4 s, ... or what a `retry-after(-ms)`
 * header asks for when that is under a minute. The timeout covers the whole call, retries and
 * waits included.
 */
import { generateText, type ModelMessage } from 'ai';
import type { LmConfig, ModelConfig } from '../config/config.js';
import type { LmCallRecord } from '../tracing/observer-registry.js';
import { addUsage, type Usage, ZERO_USAGE } from '../util/usage.js';
import type { LmCallOptions, LmClient, LmMessage, LmResponse, ModelRole, ResolvedRole } from './lm-client.js';
import { LmError, ROLE_ENV, toLmError } from './lm-error.js';
import { createLanguageModel, type LanguageModelV3, type ProviderOptions } from './providers.js';
import { tracedModel, withLmScope } from './traced-model.js';

/** The roles tried for each role, in order. */
const FALLBACKS: Record<ModelRole, readonly ModelRole[]> = {
  planner: ['planner'],
  delegate: ['delegate', 'planner'],
  delegate_small: ['delegate_small', 'delegate', 'planner'],
};

export interface AiSdkLmClientOptions extends ProviderOptions {
  /** Receives every LM call (the observer registry: PostHog, metrics). */
  onLmCall?: (record: LmCallRecord) => void;
}

/** A role's AI SDK model and its settings, for callers that stream with tools (the chat agent). */
export interface ChatModel {
  model: LanguageModelV3;
  resolved: ResolvedRole;
  maxTokens?: number;
  maxRetries: number;
  timeoutMs: number;
}

export class AiSdkLmClient implements LmClient {
  private readonly models = new Map<ModelRole, LanguageModelV3>();

  constructor(
    private config: LmConfig,
    private readonly options: AiSdkLmClientOptions = {},
  ) {}

  /** Swaps in new model settings (a settings PATCH); calls already running keep their model. */
  reconfigure(config: LmConfig): void {
    this.config = config;
    this.models.clear();
  }

  /** The API keys of every role: what LM error messages must never repeat. */
  apiKeys(): string[] {
    const { planner, delegate, delegateSmall } = this.config;
    return [planner, delegate, delegateSmall].flatMap((model) => (model?.apiKey ? [model.apiKey] : []));
  }

  resolve(role: ModelRole): ResolvedRole | undefined {
    for (const candidate of FALLBACKS[role]) {
      const model = this.modelConfig(candidate);
      if (model) return { role: candidate, model: model.model };
    }
    return undefined;
  }

  async generate(options: LmCallOptions): Promise<LmResponse> {
    if (options.messages.length === 0) throw new TypeError('LmClient.generate needs at least one message');
    const resolved = this.resolve(options.role);
    if (!resolved) throw notConfigured(options.role);
    const modelConfig = this.modelConfig(resolved.role)!;
    const model = this.languageModel(resolved.role, modelConfig);

    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const abortSignal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const started = performance.now();
    try {
      const purpose = options.purpose ?? 'lm';
      // The traced model prices each attempt that ends with an answer (one, unless the SDK
      // retried after a broken stream); an attempt that failed reports nothing.
      let usage: Usage | undefined;
      const onUsage = (call: Usage) => {
        usage = usage ? addUsage(usage, call) : call;
      };
      const result = await withLmScope({ purpose, onUsage }, () =>
        generateText({
          model,
          messages: options.messages.map(toModelMessage),
          // Our system messages are the engine's own prompts, never text from a user or a tool, so
          // the SDK's prompt-injection warning (printed on every call) does not apply.
          allowSystemInMessages: true,
          maxOutputTokens: options.maxTokens ?? modelConfig.maxTokens,
          maxRetries: this.config.maxRetries,
          abortSignal,
        }),
      );
      return {
        text: result.text,
        role: resolved.role,
        model: resolved.model,
        usage: usage ?? ZERO_USAGE,
        latencyMs: performance.now() - started,
        finishReason: result.finishReason,
      };
    } catch (error) {
      // The merged signal keeps the reason of whichever source fired first.
      const timedOut = abortSignal.aborted && abortSignal.reason === timeout.reason;
      const aborted = abortSignal.aborted && !timedOut;
      throw toLmError(error, {
        role: resolved.role,
        model: resolved.model,
        timeoutMs,
        timedOut,
        aborted,
        secrets: this.apiKeys(),
      });
    }
  }

  /** The AI SDK model serving `role` (after fallbacks); throws LmError when none is configured. */
  chatModel(role: ModelRole): ChatModel {
    const resolved = this.resolve(role);
    if (!resolved) throw notConfigured(role);
    const config = this.modelConfig(resolved.role)!;
    return {
      model: this.languageModel(resolved.role, config),
      resolved,
      maxTokens: config.maxTokens,
      maxRetries: this.config.maxRetries,
      timeoutMs: this.config.timeoutMs,
    };
  }

  private modelConfig(role: ModelRole): ModelConfig | undefined {
    if (role === 'planner') return this.config.planner;
    if (role === 'delegate') return this.config.delegate;
    return this.config.delegateSmall;
  }

  /**
   * Built once per serving role, wrapped so every call is traced and reported; a configuration
   * error is thrown again on each call.
   */
  private languageModel(role: ModelRole, config: ModelConfig): LanguageModelV3 {
    let model = this.models.get(role);
    if (!model) {
      model = tracedModel(createLanguageModel(role, config, this.options), {
        role,
        model: config.model,
        prices: () => this.config.prices,
        ...(this.options.onLmCall ? { report: this.options.onLmCall } : {}),
      });
      this.models.set(role, model);
    }
    return model;
  }
}

function toModelMessage(message: LmMessage): ModelMessage {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant':
      return { role: 'assistant', content: message.content };
  }
}

function notConfigured(role: ModelRole): LmError {
  const planner = ROLE_ENV.planner.model;
  const message =
    role === 'planner'
      ? `${planner} is not set: the planner role has no model; set ${planner}=provider/model (e.g. openai/gpt-4.1-mini)`
      : `no model for the ${role} role: set ${ROLE_ENV[role].model}, or ${planner} (the ${role} role falls back to the planner)`;
  return new LmError('not_configured', message, { role });
}
