/**
 * (j) What tracing costs a turn: the same scripted turn — a planner step that delegates, an RLM
 * iteration whose code runs a batched `llm_query` in the process sandbox, and the planner's
 * answer (about 15 spans) — on two servers in this process: one with TRACING_ENABLED=false, one
 * exporting every span to the embedded store and to a real MLflow (the project venv's, started
 * here). Models answer instantly in process, so the figures are pure server overhead. Blocks of
 * turns alternate between the servers. Wall is what a user waits (message to `final`). A block's
 * CPU (this process: user + system) runs until its spans are exported, so the export work is
 * inside it; that flush also makes one MLflow request per 5 turns, where a loaded server sends
 * one per second, so the CPU figure is an upper bound. MLflow's own ingest runs in its own
 * processes and is not counted, but competes for the same two cores.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.js';
import { type RunningServer, startServer } from '../src/server/start-server.js';
import { startLocalMlflow } from '../src/tracing/mlflow/local-mlflow-server.js';
import { type Figure, mean, median, ms, percentile } from './stats.js';

// Block CPU varies ±15% (GC, the sandbox process, MLflow's own processes on the other core):
// 100 rounds keep the ratio of totals within about ±0.02 between runs.
const ROUNDS = 100;
const TURNS_PER_BLOCK = 5;
const WARMUP_TURNS = 10;

/** OpenAI-compatible answers by model: the planner delegates once, the RLM submits at once. */
function scriptedModels(): typeof fetch {
  const usage = { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 };
  const base = { id: 'x', created: 0, object: 'chat.completion.chunk' };
  const sse = (deltas: Array<Record<string, unknown>>, finish: string) =>
    `${[
      ...deltas.map((delta) => ({
        ...base,
        model: 'm',
        choices: [{ index: 0, delta, finish_reason: null }],
      })),
      { ...base, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: finish }] },
      { ...base, model: 'm', choices: [], usage },
    ]
      .map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
      .join('')}data: [DONE]\n\n`;
  const json = (text: string) =>
    JSON.stringify({
      id: 'x',
      created: 0,
      model: 'm',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage,
    });
  const code =
    '```repl\nparts = llm_query_batched(["first?", "second?"])\nSUBMIT(answer=" / ".join(parts))\n```';
  return async (_url, init) => {
    const body = JSON.parse(String(init?.body ?? '{}')) as {
      model: string;
      stream?: boolean;
      messages: unknown[];
    };
    if (body.model === 'planner' && body.stream) {
      const delegated = JSON.stringify(body.messages).includes('"role":"tool"');
      const stream = delegated
        ? sse([{ role: 'assistant', content: 'The answer is in.' }], 'stop')
        : sse(
            [
              {
                role: 'assistant',
                tool_calls: [
                  {
                    index: 0,
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'delegate_to_rlm', arguments: '{"task":"summarize"}' },
                  },
                ],
              },
            ],
            'tool_calls',
          );
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
    }
    const text = body.model === 'delegate' ? code : body.model === 'planner' ? 'An earlier summary.' : 'ok';
    return new Response(json(text), { headers: { 'content-type': 'application/json' } });
  };
}

async function server(env: Record<string, string>): Promise<RunningServer> {
  const config = loadConfig({
    FLEET_DATA_DIR: mkdtempSync(join(tmpdir(), 'fleet-bench-tracing-')),
    FLEET_PORT: '0',
    DSPY_LM_MODEL: 'openai/planner',
    DSPY_DELEGATE_LM_MODEL: 'openai/delegate',
    DSPY_DELEGATE_LM_SMALL_MODEL: 'openai/small',
    DSPY_LM_API_BASE: 'http://127.0.0.1:9/v1',
    DSPY_LLM_API_KEY: 'k',
    SANDBOX_PROVIDER: 'process',
    SANDBOX_WARM_POOL: '1',
    WS_MAX_FRAMES_PER_SECOND: '10000',
    LOG_LEVEL: 'silent',
    MLFLOW_AUTO_START: 'false',
    ...env,
  });
  return startServer(config, { version: 'bench', logger: false, lm: { fetch: scriptedModels() } });
}

/** A session with a document and a socket; `turn()` resolves at the turn's `final` frame. */
async function client(running: RunningServer) {
  const created = await fetch(`${running.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const sessionId = ((await created.json()) as { id: string }).id;
  await fetch(`${running.url}/api/v1/sessions/${sessionId}/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'notes.txt', text: 'alpha\nbeta\ngamma\n'.repeat(200) }),
  });
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}/api/v1/ws/execution`);
  await new Promise((done) => socket.once('open', done));
  let finished: (kind: string) => void = () => {};
  socket.on('message', (data) => {
    const text = data.toString();
    for (const kind of ['final', 'error', 'cancelled']) if (text.includes(`"kind":"${kind}"`)) finished(kind);
  });
  return {
    socket,
    /** Milliseconds from sending the message to its `final` frame. */
    turn: async (): Promise<number> => {
      const done = new Promise<string>((resolveTurn) => {
        finished = resolveTurn;
      });
      const started = performance.now();
      socket.send(
        JSON.stringify({ type: 'message', content: 'Summarize the notes.', session_id: sessionId }),
      );
      const kind = await done;
      if (kind !== 'final') throw new Error(`the bench turn ended with ${kind}`);
      return performance.now() - started;
    },
  };
}

export async function benchTracingCost(figures: Figure[]): Promise<void> {
  const command = resolve('.venv/bin/mlflow');
  if (!existsSync(command)) {
    figures.push({
      bench: '(j) tracing cost',
      figure: 'skipped: MLflow is not installed (npm run setup:mlflow)',
      value: '-',
    });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-mlflow-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const mlflow = await startLocalMlflow({
    command,
    port,
    backendStoreUri: `sqlite:///${join(dir, 'mlflow.db')}`,
  });
  const plain = await server({ TRACING_ENABLED: 'false', MLFLOW_ENABLED: 'false' });
  const traced = await server({ MLFLOW_ENABLED: 'true', MLFLOW_TRACKING_URI: mlflow.url });
  try {
    const runners = [
      { name: 'off', running: plain, client: await client(plain), wall: [] as number[], cpu: [] as number[] },
      {
        name: 'mlflow',
        running: traced,
        client: await client(traced),
        wall: [] as number[],
        cpu: [] as number[],
      },
    ];
    for (const runner of runners) {
      for (let i = 0; i < WARMUP_TURNS; i++) await runner.client.turn();
      await runner.running.flushTraces();
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? runners : [...runners].reverse();
      for (const runner of order) {
        const cpuStart = process.cpuUsage();
        for (let i = 0; i < TURNS_PER_BLOCK; i++) runner.wall.push(await runner.client.turn());
        await runner.running.flushTraces();
        const cpu = process.cpuUsage(cpuStart);
        runner.cpu.push((cpu.user + cpu.system) / 1000 / TURNS_PER_BLOCK);
      }
    }
    const [off, on] = runners as [(typeof runners)[0], (typeof runners)[0]];
    const wallRatio = median(on.wall) / median(off.wall);
    // CPU: the ratio of totals (every GC and export counted once); the spread of the
    // per-round ratios shows how noisy one block is.
    const cpuRatio = mean(on.cpu) / mean(off.cpu);
    const perRound = on.cpu.map((value, round) => value / off.cpu[round]!);
    const exported = await countMlflowTraces(mlflow.url);
    const turns = WARMUP_TURNS + ROUNDS * TURNS_PER_BLOCK;
    figures.push(
      {
        bench: '(j) tracing cost',
        figure: `message -> final per turn, tracing off vs MLflow export (median of ${ROUNDS * TURNS_PER_BLOCK})`,
        value: `${ms(median(off.wall))} vs ${ms(median(on.wall))} = ×${wallRatio.toFixed(3)}`,
        target: '≤ ×1.10',
        ok: wallRatio <= 1.1,
      },
      {
        bench: '(j) tracing cost',
        figure: `CPU per turn in this process, span export included (mean of ${ROUNDS} blocks each)`,
        value: `${ms(mean(off.cpu))} vs ${ms(mean(on.cpu))} = ×${cpuRatio.toFixed(3)} (per-round p25–p75 ×${percentile(perRound, 25).toFixed(2)}–×${percentile(perRound, 75).toFixed(2)})`,
        target: '≤ ×1.10',
        ok: cpuRatio <= 1.1,
      },
      {
        bench: '(j) tracing cost',
        figure: 'traces found in MLflow / turns traced',
        value: `${exported} / ${turns}`,
        target: 'all',
        ok: exported === turns,
      },
    );
    for (const runner of runners) runner.client.socket.close();
  } finally {
    await plain.close();
    await traced.close();
    await mlflow.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function countMlflowTraces(url: string): Promise<number> {
  const experiment = await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=fleet-rlm`);
  const id = ((await experiment.json()) as { experiment: { experiment_id: string } }).experiment
    .experiment_id;
  let count = 0;
  let pageToken: string | undefined;
  do {
    const response = await fetch(`${url}/api/3.0/mlflow/traces/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: id } }],
        max_results: 500,
        page_token: pageToken,
      }),
    });
    const page = (await response.json()) as { traces?: unknown[]; next_page_token?: string };
    count += page.traces?.length ?? 0;
    pageToken = page.next_page_token || undefined;
  } while (pageToken);
  return count;
}
