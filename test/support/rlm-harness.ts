/**
 * Test harness for RLM runs: a scripted OpenAI-compatible server, the real AI SDK client aimed
 * at it (three roles on three model names, so the server can tell them apart), and one real
 * sandbox per provider, reset between runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LmConfig } from '../../src/config/config.js';
import { AiSdkLmClient } from '../../src/lm/ai-sdk-client.js';
import { runRlm } from '../../src/rlm/rlm-engine.js';
import type { RlmEvent, RlmResult, RlmRunOptions } from '../../src/rlm/rlm-types.js';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/sandbox.js';
import { ScriptedLmServer, type ScriptedRequest, type ScriptRule } from './scripted-lm-server.js';

export const ROOT_MODEL = 'root-model';
export const CHILD_MODEL = 'child-model';
export const SMALL_MODEL = 'small-model';

/** One model reply of a root (or child) turn: prose plus a ```repl block. */
export function turn(code: string, reasoning = 'Next step.'): string {
  return `${reasoning}\n\`\`\`repl\n${code}\n\`\`\``;
}

/** Rules answering `model` with these replies in order, one request each. */
export function turns(model: string, replies: string[]): ScriptRule[] {
  return replies.map((reply) => ({ model, reply, times: 1 }));
}

/** The last user message the model saw in a request (the feedback of the previous turn). */
export function lastUserMessage(request: ScriptedRequest): string {
  return [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
}

export class RlmHarness {
  readonly events: RlmEvent[] = [];
  private constructor(
    readonly server: ScriptedLmServer,
    readonly sandbox: Sandbox,
    readonly lmConfig: LmConfig,
  ) {}

  static async start(provider: SandboxProvider, prices: LmConfig['prices'] = {}): Promise<RlmHarness> {
    const server = await ScriptedLmServer.start();
    const base = { apiKey: 'sk-test-key', apiBase: server.baseUrl };
    const lmConfig: LmConfig = {
      planner: { model: `openai/${ROOT_MODEL}`, ...base },
      delegate: { model: `openai/${CHILD_MODEL}`, ...base },
      delegateSmall: { model: `openai/${SMALL_MODEL}`, ...base },
      timeoutMs: 20_000,
      maxRetries: 0,
      prices,
    };
    const sandbox = await createSandbox({
      provider,
      cacheDir: join(tmpdir(), 'fleet-rlm-test-cache'),
      memoryLimitMb: 1024,
      interruptGraceMs: 2_000,
    });
    await sandbox.start();
    return new RlmHarness(server, sandbox, lmConfig);
  }

  async run(
    script: ScriptRule[],
    options: Partial<Omit<RlmRunOptions, 'lm' | 'sandbox'>> & Pick<RlmRunOptions, 'inputs'>,
  ): Promise<RlmResult> {
    this.server.script(script);
    this.events.length = 0;
    await this.sandbox.reset();
    const lm = new AiSdkLmClient(this.lmConfig);
    return runRlm({
      role: 'planner',
      ...options,
      lm,
      sandbox: this.sandbox,
      onEvent: (event) => this.events.push(event),
    });
  }

  requestsFor(model: string): ScriptedRequest[] {
    return this.server.requests.filter((request) => request.model === model);
  }

  async close(): Promise<void> {
    await this.sandbox.shutdown();
    await this.server.close();
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fleet-rlm-test-'));
}
