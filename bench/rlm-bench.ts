/**
 * RLM benchmarks: (d) engine overhead per iteration with a zero-latency model (in process, and
 * through the real provider code over HTTP), (e) a batch of 16 `llm_query` calls at 100 ms each.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AiSdkLmClient } from '../src/lm/ai-sdk-client.js';
import type { LmCallOptions, LmClient, LmResponse } from '../src/lm/lm-client.js';
import { runRlm } from '../src/rlm/rlm-engine.js';
import { createSandbox } from '../src/sandbox/create-sandbox.js';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { ScriptedLmServer } from '../test/support/scripted-lm-server.js';
import { type Figure, median, ms } from './stats.js';

const ITERATIONS = 200;
const reply = (code: string) => `Step.\n\`\`\`repl\n${code}\n\`\`\``;

/** Answers instantly: a trivial code turn, and SUBMIT on the last turn. */
class InstantLm implements LmClient {
  calls = 0;
  resolve() {
    return { role: 'planner' as const, model: 'bench/instant' };
  }
  async generate(options: LmCallOptions): Promise<LmResponse> {
    this.calls++;
    const text = this.calls >= ITERATIONS ? reply("SUBMIT(answer='done')") : reply('x = 1 + 1');
    return {
      text,
      role: options.role,
      model: 'bench/instant',
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2, costUsd: 0 },
      latencyMs: 0,
      finishReason: 'stop',
    };
  }
}

async function perIteration(sandbox: Sandbox, lm: LmClient): Promise<number> {
  const result = await runRlm({
    inputs: { question: 'bench', context: 'c' },
    role: 'planner',
    lm,
    sandbox,
    budgets: { maxIterations: ITERATIONS },
  });
  if (result.status !== 'completed' || result.iterations !== ITERATIONS)
    throw new Error(`bench run ended early: ${result.termination.detail}`);
  return result.durationMs / result.iterations;
}

export async function benchIterationOverhead(figures: Figure[]): Promise<void> {
  const sandbox = await createSandbox({
    provider: 'pyodide',
    cacheDir: join(tmpdir(), 'fleet-rlm-bench-cache'),
  });
  await sandbox.start();
  const execs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const start = performance.now();
    await sandbox.execute({ context: 'root', code: 'x = 1 + 1' });
    execs.push(performance.now() - start);
  }
  await perIteration(sandbox, new InstantLm()); // warm-up
  const inProcess = await perIteration(sandbox, new InstantLm());
  const execute = median(execs);
  figures.push({
    bench: '(d) RLM iteration',
    figure: 'per iteration, instant in-process model (pyodide)',
    value: ms(inProcess),
    target: '≤ 5 ms',
    ok: inProcess <= 5,
  });
  figures.push({
    bench: '(d) RLM iteration',
    figure: 'of which engine overhead beyond one execute',
    value: ms(inProcess - execute),
  });
  const server = await ScriptedLmServer.start();
  let served = 0;
  server.script([
    { reply: () => (++served % ITERATIONS === 0 ? reply("SUBMIT(answer='done')") : reply('x = 1 + 1')) },
  ]);
  const lm = new AiSdkLmClient({
    planner: { model: 'openai/bench', apiKey: 'sk-bench', apiBase: server.baseUrl },
    timeoutMs: 10_000,
    maxRetries: 0,
    prices: {},
  });
  const overHttp = await perIteration(sandbox, lm);
  figures.push({
    bench: '(d) RLM iteration',
    figure: 'per iteration, scripted model over HTTP (AI SDK)',
    value: ms(overHttp),
  });
  await server.close();
  await sandbox.shutdown();
}

export async function benchBatch(figures: Figure[]): Promise<void> {
  const server = await ScriptedLmServer.start();
  server.script([{ reply: (request) => ({ text: `ok ${request.id}`, delayMs: 100 }) }]);
  const base = { apiKey: 'sk-bench', apiBase: server.baseUrl };
  const lm = new AiSdkLmClient({
    planner: { model: 'openai/root', ...base },
    delegateSmall: { model: 'openai/small', ...base },
    timeoutMs: 10_000,
    maxRetries: 0,
    prices: {},
  });
  const sandbox = await createSandbox({
    provider: 'pyodide',
    cacheDir: join(tmpdir(), 'fleet-rlm-bench-cache'),
  });
  // One warm-up batch (connections, JIT), then the median of three timed batches.
  const code = `import time
prompts = [f'q{i}' for i in range(16)]
llm_query_batched(prompts)
times = []
for _ in range(3):
    t = time.perf_counter(); llm_query_batched(prompts); times.append(time.perf_counter() - t)
batch_s = sorted(times)[1]
t = time.perf_counter(); looped = [llm_query(p) for p in prompts]; loop_s = time.perf_counter() - t
SUBMIT(answer=f'{batch_s} {loop_s}')`;
  let turns = 0;
  server.script([
    { model: 'root', reply: () => (++turns === 1 ? reply(code) : reply("SUBMIT(answer='x')")) },
    { model: 'small', reply: (request) => ({ text: `ok ${request.id}`, delayMs: 100 }) },
  ]);
  const result = await runRlm({
    inputs: { question: 'bench', context: 'c' },
    role: 'planner',
    lm,
    sandbox,
    budgets: { maxLlmCalls: 200 },
  });
  const [batch, loop] = result.answer.split(' ').map((seconds) => Number(seconds) * 1000);
  figures.push({
    bench: '(e) 16 × llm_query @100 ms',
    figure: 'llm_query_batched wall time (limit 8, median of 3)',
    value: ms(batch!),
    target: '≤ 250 ms',
    ok: batch! <= 250,
  });
  figures.push({
    bench: '(e) 16 × llm_query @100 ms',
    figure: 'baseline: llm_query in a loop',
    value: `${ms(loop!)} (${(loop! / batch!).toFixed(1)}× slower)`,
  });
  await sandbox.shutdown();
  await server.close();
}
