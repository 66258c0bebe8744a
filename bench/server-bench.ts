/**
 * Live API benchmarks, over real loopback WebSockets against a real server (SQLite replay log):
 * (g) frames/s delivered in total to 100 viewers of one session (baseline: 1 viewer);
 * (h) emit-to-client latency with 1,000 sessions each emitting 10 frames/s;
 * (i) server overhead per turn with a zero-latency model answered in process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.js';
import type { RuntimeContext } from '../src/contract/chat-events.js';
import type { SessionRef } from '../src/events/execution-event-emitter.js';
import { type RunningServer, type StartOptions, startServer } from '../src/server/start-server.js';
import { type Figure, median, ms, percentile } from './stats.js';

/** The runtime context of the frames the benchmarks emit themselves. */
const BENCH_RUNTIME: RuntimeContext = {
  depth: 0,
  max_depth: 2,
  execution_profile: 'ROOT_INTERLOCUTOR',
  sandbox_active: false,
  effective_max_iters: 8,
  execution_mode: 'auto',
  runtime_mode: 'fleet-rlm-ts',
  sandbox_provider: 'process',
};

async function server(
  options: Partial<StartOptions> = {},
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const config = loadConfig({
    FLEET_DATA_DIR: mkdtempSync(join(tmpdir(), 'fleet-bench-')),
    FLEET_PORT: '0',
    DSPY_LM_MODEL: 'openai/bench',
    DSPY_LM_API_BASE: 'http://127.0.0.1:9/v1',
    DSPY_LLM_API_KEY: 'k',
    SANDBOX_PROVIDER: 'process',
    SANDBOX_WARM_POOL: '0',
    LOG_LEVEL: 'silent',
    MLFLOW_ENABLED: 'false',
    ...env,
  });
  return startServer(config, { version: 'bench', logger: false, ...options });
}

async function session(running: RunningServer): Promise<SessionRef> {
  const identity = { workspaceId: 'default', userId: 'anonymous' };
  await running.store.ensureIdentity(identity);
  const created = await running.store.createSession(identity);
  return { ...identity, sessionId: created.id };
}

/** A viewer following a session's chat stream from now on; counts frames and records latencies. */
async function viewer(
  running: RunningServer,
  sessionId: string,
  onFrame: (data: Buffer) => void,
): Promise<WebSocket> {
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}/api/v1/ws/execution`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const last = (await running.store.seqRange(sessionId, 'chat')).last;
  socket.on('message', (data) => onFrame(data as Buffer));
  socket.send(JSON.stringify({ type: 'resume', session_id: sessionId, since_seq: last }));
  await new Promise((resolve) => setTimeout(resolve, 5));
  return socket;
}

async function fanOut(viewers: number, frames: number): Promise<number> {
  const running = await server();
  const ref = await session(running);
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const sockets = await Promise.all(
    Array.from({ length: viewers }, () =>
      viewer(running, ref.sessionId, () => {
        if (++received === viewers * frames) done();
      }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 100)); // every resume answered
  const started = performance.now();
  for (let i = 0; i < frames; i++)
    void running.context.emitter.emitEvent(ref, null, 'assistant_token', `token ${i} `, {
      iteration: 1,
      runtime: BENCH_RUNTIME,
    });
  await all;
  const rate = (viewers * frames) / ((performance.now() - started) / 1000);
  for (const socket of sockets) socket.close();
  await running.close();
  return rate;
}

export async function benchFanOut(figures: Figure[]): Promise<void> {
  await fanOut(10, 200); // warm-up
  const one = await fanOut(1, 5000);
  const hundred = await fanOut(100, 1000);
  figures.push({
    bench: '(g) fan-out, one session',
    figure: '100 viewers: frames/s delivered in total',
    value: `${Math.round(hundred).toLocaleString('en-US')}`,
    target: '≥ 50,000',
    ok: hundred >= 50_000,
  });
  figures.push({
    bench: '(g) fan-out, one session',
    figure: 'baseline: 1 viewer, frames/s',
    value: `${Math.round(one).toLocaleString('en-US')} (${(hundred / one).toFixed(1)}× in total with 100)`,
  });
}

export async function benchManySessions(figures: Figure[]): Promise<void> {
  const running = await server();
  const sessions = 1000;
  const refs: SessionRef[] = [];
  for (let i = 0; i < sessions; i++) refs.push(await session(running));
  const since = await Promise.all(
    refs.map(async (ref) => (await running.store.seqRange(ref.sessionId, 'chat')).last),
  );
  // The 1,000 viewers live in a worker thread: their parsing must not run on the server's
  // event loop (in production they are other machines).
  const viewers = new Worker(new URL('./viewers-worker.mjs', import.meta.url), {
    workerData: {
      url: `${running.url.replace('http', 'ws')}/api/v1/ws/execution`,
      sessions: refs.map((ref, index) => [ref.sessionId, since[index]]),
    },
    execArgv: [],
  });
  await new Promise<void>((resolve) => viewers.once('message', () => resolve())); // all connected
  await new Promise((resolve) => setTimeout(resolve, 500));
  // Each session emits 10 frames/s for 5 s on its own clock (a random phase), as independent
  // sessions would: no synchronized bursts. Checked every millisecond.
  const seconds = 5;
  const periodMs = 100;
  const start = performance.now();
  const due = refs.map(() => start + Math.random() * periodMs);
  let emitted = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      refs.forEach((ref, index) => {
        if (due[index]! > now || due[index]! >= start + seconds * 1000) return;
        due[index]! += periodMs;
        emitted++;
        // The viewers read the emit time from the text: `tick <ms since the epoch>`.
        const sentAt = performance.timeOrigin + performance.now();
        void running.context.emitter.emitEvent(ref, null, 'status', `tick ${sentAt}`, {
          phase: 'progress',
          runtime: BENCH_RUNTIME,
        });
      });
      if (now >= start + seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  viewers.postMessage('report');
  const latencies = await new Promise<number[]>((resolve) => viewers.once('message', resolve));
  await viewers.terminate();
  figures.push({
    bench: '(h) 1,000 sessions × 10 frames/s',
    figure: 'emit-to-client latency p50 / p99 / max',
    value: `${ms(median(latencies))} / ${ms(percentile(latencies, 99))} / ${ms(Math.max(...latencies))} (${latencies.length.toLocaleString('en-US')} of ${emitted.toLocaleString('en-US')} frames)`,
    target: 'p99 ≤ 10 ms',
    ok: percentile(latencies, 99) <= 10 && latencies.length === emitted,
  });
  await running.close();
}

/** An OpenAI-compatible model answered at once inside the process (streamed or not). */
function instantModel(text: string): typeof fetch {
  const usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
  const base = { id: 'x', created: 0, model: 'bench' };
  const chunks = [
    { choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { choices: [], usage },
  ];
  const stream = `${chunks.map((chunk) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...chunk })}\n\n`).join('')}data: [DONE]\n\n`;
  const json = JSON.stringify({
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage,
  });
  return async (_url, init) => {
    const streaming = String(init?.body ?? '').includes('"stream":true');
    return new Response(streaming ? stream : json, {
      headers: { 'content-type': streaming ? 'text/event-stream' : 'application/json' },
    });
  };
}

export async function benchTurnOverhead(figures: Figure[]): Promise<void> {
  const running = await server(
    { lm: { fetch: instantModel('Done.') } },
    { WS_MAX_FRAMES_PER_SECOND: '10000' },
  );
  const ref = await session(running);
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}/api/v1/ws/execution`);
  await new Promise((resolve) => socket.once('open', resolve));
  let finished: () => void = () => {};
  socket.on('message', (data) => {
    if (data.toString().includes('"kind":"final"')) finished();
  });
  const turn = async () => {
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const started = performance.now();
    socket.send(JSON.stringify({ type: 'message', content: 'hello', session_id: ref.sessionId }));
    await done;
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) await turn();
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) samples.push(await turn());
  figures.push({
    bench: '(i) turn overhead',
    figure: 'message -> final, instant model (median / p99 of 200)',
    value: `${ms(median(samples))} / ${ms(percentile(samples, 99))}`,
    target: '≤ 20 ms',
    ok: median(samples) <= 20,
  });
  socket.close();
  await running.close();
}
