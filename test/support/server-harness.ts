/**
 * A real fleet-rlm server for tests: started in process on a free loopback port with a temp
 * data directory, the process sandbox, and models pointing at a scripted OpenAI-compatible
 * server. Plus a raw WebSocket client that records every frame, for exact assertions.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/config.js';
import {
  type ChatEvent,
  type ChatEventOf,
  type EventKind,
  isEventOf,
} from '../../src/contract/chat-events.js';
import type { PassiveFrame } from '../../src/contract/passive-frames.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { ScriptedLmServer, type ScriptRule } from './scripted-lm-server.js';

export const PLANNER = 'planner';
export const DELEGATE = 'delegate';
export const SMALL = 'small';

export interface Harness {
  server: RunningServer;
  lm: ScriptedLmServer;
  url: string;
  wsUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The server's request logger (off unless given; e.g. `{ level: 'info', stream }` to read it). */
  logger?: FastifyServerOptions['logger'];
}

export async function startHarness(
  env: Record<string, string> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const lm = await ScriptedLmServer.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-server-test-'));
  const fullEnv: Record<string, string> = {
    FLEET_DATA_DIR: dataDir,
    FLEET_PORT: '0',
    DSPY_LM_MODEL: `openai/${PLANNER}`,
    DSPY_DELEGATE_LM_MODEL: `openai/${DELEGATE}`,
    DSPY_DELEGATE_LM_SMALL_MODEL: `openai/${SMALL}`,
    DSPY_LM_API_BASE: lm.baseUrl,
    DSPY_LLM_API_KEY: 'sk-test',
    LM_MAX_RETRIES: '0',
    SANDBOX_PROVIDER: 'process',
    SANDBOX_WARM_POOL: '0',
    LOG_LEVEL: 'silent',
    // Tests that trace into MLflow start their own and say where it is.
    MLFLOW_ENABLED: 'false',
    ...env,
  };
  const config = loadConfig(fullEnv);
  const server = await startServer(config, {
    version: 'test',
    logger: options.logger ?? false,
    drainGraceMs: 200,
    env: fullEnv,
    envPath: join(dataDir, '.env'),
  }).catch(async (error: unknown) => {
    await lm.close();
    throw error;
  });
  return {
    server,
    lm,
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws'),
    dataDir,
    close: async () => {
      await server.close();
      await lm.close();
    },
  };
}

export function script(harness: Harness, rules: ScriptRule[]): void {
  harness.lm.script(rules);
}

/** A WebSocket that records every frame it receives. */
export class RecordingSocket {
  readonly frames: Array<Record<string, unknown>> = [];
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = [];
  closed?: { code: number; reason: string };

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Record<string, unknown>);
      this.check();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.check();
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<RecordingSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      const recording = new RecordingSocket(socket);
      socket.once('open', () => resolve(recording));
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Chat events (data of `event` envelopes), in arrival order. */
  events(): ChatEvent[] {
    return this.frames.filter((frame) => frame.type === 'event').map((frame) => frame.data as ChatEvent);
  }

  errors(): Array<{ code: string; message: string; details?: Record<string, unknown> }> {
    return this.frames.filter((frame) => frame.type === 'error') as never;
  }

  passive(): PassiveFrame[] {
    return this.frames.filter((frame) => String(frame.type).startsWith('execution_')) as never;
  }

  /** Resolves when `test` holds (checked on every frame), or rejects after `timeoutMs`. */
  until(test: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out; frames so far: ${JSON.stringify(this.frames.slice(-5))}`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Until the chat stream has a terminal event (final, cancelled or error). */
  untilTerminal(count = 1, timeoutMs?: number): Promise<void> {
    return this.until(
      () =>
        this.events().filter((event) => ['final', 'cancelled', 'error'].includes(event.kind)).length >= count,
      timeoutMs,
    );
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.test()) return true;
      waiter.resolve();
      return false;
    });
  }
}

export async function api(
  harness: Harness,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${harness.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  // Response bodies are checked field by field in the tests; `any` keeps that terse.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const parsed = text ? (JSON.parse(text) as Record<string, any>) : null;
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Polls `test` until it holds: for conditions no frame announces (e.g. the model server got a call). */
export async function waitFor(test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `event` narrowed to `kind`; throws, saying what came instead, when it is of another kind. */
export function asKind<K extends EventKind>(event: ChatEvent | undefined, kind: K): ChatEventOf<K> {
  if (!event || !isEventOf(event, kind))
    throw new Error(`expected a ${kind} event, got ${event ? `${event.kind}: ${event.text}` : 'none'}`);
  return event;
}
