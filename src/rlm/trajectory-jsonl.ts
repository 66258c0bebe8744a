/**
 * Writes a run's trajectory as JSON lines: a metadata line, one line per iteration of every run
 * in the tree (children before the parent turn that started them, i.e. in the order they
 * finished), and a closing result line. Callback lines point at child runs by id.
 */
import { writeFile } from 'node:fs/promises';
import { PROMPT_VERSION } from './prompts.js';
import type { BlockRecord, RlmBudgets, RlmResult, Trajectory } from './rlm-types.js';

export function trajectoryLines(result: RlmResult, budgets: Partial<RlmBudgets>): string[] {
  const root = result.trajectory;
  const lines: unknown[] = [
    {
      type: 'metadata',
      prompt_version: PROMPT_VERSION,
      run_id: root.runId,
      role: root.role,
      model: root.model,
      question: root.question,
      budgets,
    },
  ];
  appendRun(root, lines);
  lines.push({
    type: 'result',
    run_id: result.runId,
    status: result.status,
    termination: result.termination,
    answer: result.answer,
    outputs: result.outputs,
    usage: result.usage,
    llm_calls_used: result.llmCallsUsed,
    iterations: result.iterations,
    duration_ms: Math.round(result.durationMs),
    extract: root.extract ?? null,
  });
  return lines.map((line) => JSON.stringify(line));
}

function appendRun(trajectory: Trajectory, lines: unknown[]): void {
  for (const record of trajectory.iterations) {
    for (const block of record.blocks) {
      for (const callback of block.callbacks)
        for (const child of callback.children ?? []) appendRun(child, lines);
    }
    lines.push({
      type: 'iteration',
      run_id: trajectory.runId,
      parent_run_id: trajectory.parentRunId ?? null,
      depth: trajectory.depth,
      model: trajectory.model,
      iteration: record.iteration,
      started_at: record.startedAt,
      duration_ms: Math.round(record.durationMs),
      reasoning: record.reasoning,
      response: record.response,
      lm: record.lm,
      blocks: record.blocks.map(blockLine),
      submit: record.submit ?? null,
      feedback: record.feedback,
    });
  }
  if (trajectory.depth > 0) {
    lines.push({
      type: 'child_result',
      run_id: trajectory.runId,
      parent_run_id: trajectory.parentRunId ?? null,
      depth: trajectory.depth,
      termination: trajectory.termination ?? null,
      extract: trajectory.extract ?? null,
    });
  }
}

function blockLine(block: BlockRecord) {
  return {
    code: block.code,
    stdout: block.stdout,
    stderr: block.stderr,
    error: block.error ?? null,
    final: block.final ?? null,
    interrupted: block.interrupted ?? null,
    state_lost: block.stateLost ?? false,
    duration_ms: Math.round(block.durationMs * 1000) / 1000,
    callbacks: block.callbacks.map(({ children, durationMs, ...callback }) => ({
      ...callback,
      duration_ms: Math.round(durationMs * 1000) / 1000,
      child_run_ids: (children ?? []).map((child) => child.runId),
    })),
  };
}

export async function writeTrajectoryJsonl(
  path: string,
  result: RlmResult,
  budgets: Partial<RlmBudgets>,
): Promise<void> {
  await writeFile(path, `${trajectoryLines(result, budgets).join('\n')}\n`);
}
