/** Runs (the agent's and each RLM's, nested by parent) and the execution steps written as they happen. */
import { toJson, toRunRow, toStepRow, usageColumns, ZERO_USAGE } from './rows.js';
import type { RunRow, StepRow, Store } from './store.js';
import type { StoreContext } from './store-context.js';

/** Rows per INSERT: well under SQLite's 32,766 and Postgres's 65,535 bound parameters. */
const STEPS_PER_STATEMENT = 500;

export async function createRun(
  context: StoreContext,
  row: Parameters<Store['createRun']>[0],
): Promise<void> {
  await context.db
    .insertInto('runs')
    .values({
      id: row.id,
      turn_id: row.turnId,
      session_id: row.sessionId,
      parent_run_id: row.parentRunId,
      depth: row.depth,
      kind: row.kind,
      model: row.model,
      question: row.question,
      status: 'running',
      termination_reason: null,
      started_at: row.startedAt,
      finished_at: null,
      ...usageColumns(ZERO_USAGE),
    })
    .execute();
}

export async function finishRun(
  context: StoreContext,
  id: string,
  fields: Parameters<Store['finishRun']>[1],
): Promise<void> {
  await context.db
    .updateTable('runs')
    .set({
      status: fields.status,
      termination_reason: fields.terminationReason ?? null,
      finished_at: fields.finishedAt,
      ...usageColumns(fields.usage),
    })
    .where('id', '=', id)
    .execute();
}

export async function listRuns(context: StoreContext, turnId: string): Promise<RunRow[]> {
  const rows = await context.db
    .selectFrom('runs')
    .selectAll()
    .where('turn_id', '=', turnId)
    .orderBy('started_at', 'asc')
    .orderBy('depth', 'asc')
    .orderBy('id', 'asc')
    .execute();
  return rows.map(toRunRow);
}

export async function appendSteps(context: StoreContext, steps: StepRow[]): Promise<void> {
  if (steps.length === 0) return;
  const rows = steps.map((step) => ({
    id: step.id,
    session_id: step.sessionId,
    turn_id: step.turnId,
    run_id: step.runId,
    parent_id: step.parentId,
    type: step.type,
    label: step.label,
    depth: step.depth,
    actor_kind: step.actorKind,
    actor_id: step.actorId,
    lane_key: step.laneKey,
    input: toJson(step.input),
    output: toJson(step.output),
    timestamp_ms: step.timestamp,
  }));
  await context.db.transaction().execute(async (trx) => {
    for (let start = 0; start < rows.length; start += STEPS_PER_STATEMENT) {
      await trx
        .insertInto('execution_steps')
        .values(rows.slice(start, start + STEPS_PER_STATEMENT))
        .execute();
    }
  });
}

/** In the order they were appended. */
export async function listSteps(context: StoreContext, turnId: string): Promise<StepRow[]> {
  const rows = await context.db
    .selectFrom('execution_steps')
    .selectAll()
    .where('turn_id', '=', turnId)
    .orderBy('ordinal', 'asc')
    .execute();
  return rows.map(toStepRow);
}
