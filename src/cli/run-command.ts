/**
 * `fleet-rlm run "QUESTION" --context FILE|-`: one RLM run from the command line. The inputs are
 * `context` (a string, or a list of strings with several --context) and `question`; the answer
 * goes to stdout, live progress to stderr. Exit codes: 0 answered, 3 partial answer (a budget
 * ran out), 1 failure, 130 interrupted.
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Config, loadConfig, readEnvironment, SANDBOX_PROVIDERS } from '../config/config.js';
import { AiSdkLmClient } from '../lm/ai-sdk-client.js';
import { runRlm } from '../rlm/rlm-engine.js';
import type { RlmBudgets, RlmResult } from '../rlm/rlm-types.js';
import { writeTrajectoryJsonl } from '../rlm/trajectory-jsonl.js';
import { createSandbox } from '../sandbox/create-sandbox.js';
import { SandboxPool } from '../sandbox/sandbox-pool.js';
import { RunProgress } from './progress.js';

interface RunFlags {
  context: string[];
  sandbox?: (typeof SANDBOX_PROVIDERS)[number];
  maxIterations?: number;
  maxLlmCalls?: number;
  maxDepth?: number;
  maxOutputChars?: number;
  lmTimeout?: number;
  timeout?: number;
  executeTimeout?: number;
  maxTokens?: number;
  maxCost?: number;
  json?: boolean;
  trajectory?: string;
  quiet?: boolean;
  envFile?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('answer QUESTION over one or more context files with a Recursive Language Model')
    .argument('<question>', 'the question; shown to the model in full')
    .option(
      '-c, --context <file>',
      'a context file, or - for stdin; repeat for a list of documents',
      collect,
      [],
    )
    .addOption(
      new Option(
        '--sandbox <provider>',
        'where model code runs (default: SANDBOX_PROVIDER or pyodide)',
      ).choices(SANDBOX_PROVIDERS),
    )
    .option('--max-iterations <n>', 'turns of the root run (default 30)', positiveInt)
    .option(
      '--max-llm-calls <n>',
      'sub-model calls shared by the whole run tree (default 50)',
      nonNegativeInt,
    )
    .option(
      '--max-depth <n>',
      'deepest child run; sub_rlm past it is a plain llm_query (default 2)',
      nonNegativeInt,
    )
    .option('--max-output-chars <n>', 'output of each code block the model sees (default 10000)', positiveInt)
    .option('--lm-timeout <seconds>', 'timeout of one model call (default 60)', positiveNumber)
    .option('--timeout <seconds>', 'wall-clock limit of the whole run', positiveNumber)
    .option('--execute-timeout <seconds>', 'time one code block may run (default 120)', positiveNumber)
    .option('--max-tokens <n>', 'token budget of the whole run tree', positiveInt)
    .option('--max-cost <usd>', 'cost budget in USD of the whole run tree', positiveNumber)
    .option('--json', 'print the whole result as JSON instead of just the answer')
    .option('--trajectory <file.jsonl>', 'write every turn of every run as JSON lines')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--env-file <path>', 'read variables from this file (default: ./.env when present)')
    .addHelpText(
      'after',
      `
Models come from the environment (or .env): DSPY_LM_MODEL (root), DSPY_DELEGATE_LM_MODEL (child
runs), DSPY_DELEGATE_LM_SMALL_MODEL (llm_query), with DSPY_LLM_API_KEY / DSPY_LM_API_BASE.

Examples:
  fleet-rlm run "Which service logged the first timeout?" --context app.log
  cat a.md b.md | fleet-rlm run "Summarize the decisions" --context - --max-llm-calls 20
  fleet-rlm run "Compare the two contracts" -c v1.txt -c v2.txt --json --trajectory run.jsonl`,
    )
    .action(async (question: string, flags: RunFlags) => {
      process.exitCode = await runCommand(question, flags);
    });
}

async function runCommand(question: string, flags: RunFlags): Promise<number> {
  if (!question.trim()) throw new CliError('the question is empty');
  if (flags.context.length === 0) throw new CliError('give at least one --context FILE (or - for stdin)');
  const config = loadConfig(readEnvironment(flags.envFile));
  const provider = flags.sandbox ?? config.sandbox.provider;
  const budgets = budgetsFrom(config, flags);
  const lm = new AiSdkLmClient(config.lm);
  if (!lm.resolve('planner')) {
    throw new CliError(
      'no model configured: set DSPY_LM_MODEL (e.g. openai/gpt-4.1-mini) and DSPY_LLM_API_KEY',
    );
  }
  const contexts = await Promise.all(flags.context.map(readContext));
  const context = contexts.length === 1 ? contexts[0]! : contexts;
  const progress = flags.quiet ? undefined : new RunProgress(process.stderr, budgets);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    progress?.note('cancelling (press Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  const pool = new SandboxPool({
    create: () => createSandbox({ ...config.sandbox, provider, cacheDir: config.cacheDir }),
    warm: 0,
    maxLive: config.sandbox.maxLive,
    idleTimeoutMs: config.sandbox.idleTimeoutMs,
  });
  let result: RlmResult;
  try {
    progress?.note(`starting the ${provider} sandbox`);
    const sandbox = await pool.acquire(controller.signal);
    try {
      result = await runRlm({
        inputs: { context, question },
        role: 'planner',
        lm,
        sandbox,
        pool,
        budgets,
        signal: controller.signal,
        onEvent: (event) => progress?.onEvent(event),
      });
    } finally {
      await pool.destroy(sandbox);
    }
  } finally {
    progress?.stop();
    process.off('SIGINT', onSigint);
    await pool.shutdown();
  }
  if (flags.trajectory) await writeTrajectoryJsonl(flags.trajectory, result, budgets);
  return report(result, flags, controller.signal.aborted);
}

function report(result: RlmResult, flags: RunFlags, cancelled: boolean): number {
  const { termination } = result;
  if (flags.json) {
    const { trajectory: _trajectory, ...summary } = result;
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else if (result.answer) {
    process.stdout.write(`${result.answer}\n`);
  }
  const cost = result.usage.costUsd ? ` · $${result.usage.costUsd.toFixed(4)}` : '';
  const summary = `${result.iterations} turns · ${result.llmCallsUsed} sub-calls · ${result.usage.totalTokens.toLocaleString('en-US')} tokens${cost} · ${(result.durationMs / 1000).toFixed(1)}s`;
  if (!flags.quiet) process.stderr.write(`[fleet-rlm] ${termination.reason}: ${summary}\n`);
  if (termination.reason === 'submitted') return 0;
  if (cancelled) {
    process.stderr.write('[fleet-rlm] cancelled; the answer above is partial\n');
    return 130;
  }
  if ((termination.reason === 'lm_error' || termination.reason === 'sandbox_error') && !result.answer) {
    process.stderr.write(`error: ${termination.detail}\n`);
    return 1;
  }
  process.stderr.write(`[fleet-rlm] partial answer (${termination.reason}): ${termination.detail}\n`);
  return 3;
}

function budgetsFrom(config: Config, flags: RunFlags): RlmBudgets {
  const seconds = (value?: number) => (value === undefined ? undefined : Math.round(value * 1000));
  return {
    ...config.rlm,
    lmTimeoutMs: seconds(flags.lmTimeout) ?? config.lm.timeoutMs,
    maxIterations: flags.maxIterations ?? config.rlm.maxIterations,
    maxLlmCalls: flags.maxLlmCalls ?? config.rlm.maxLlmCalls,
    maxDepth: flags.maxDepth ?? config.rlm.maxDepth,
    maxOutputChars: flags.maxOutputChars ?? config.rlm.maxOutputChars,
    runTimeoutMs: seconds(flags.timeout) ?? config.rlm.runTimeoutMs,
    executeTimeoutMs: seconds(flags.executeTimeout) ?? config.rlm.executeTimeoutMs,
    maxTokens: flags.maxTokens ?? config.rlm.maxTokens,
    maxCostUsd: flags.maxCost ?? config.rlm.maxCostUsd,
  };
}

async function readContext(source: string): Promise<string> {
  if (source === '-') {
    if (process.stdin.isTTY)
      throw new CliError('--context - reads stdin, but stdin is a terminal; pipe a file in');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new CliError(`cannot read context file ${source}: ${why}`);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return parsed;
}

function nonNegativeInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a number > 0');
  return parsed;
}
