/** A turn's execution steps: written as they happen, read back in the order written. */
import { toJson, toStepRow } from './rows.js';
import type { StepRow } from './step-store.js';
import type { StoreContext } from './store-context.js';

/** Rows per INSERT: well under SQLite's 32,766 and Postgres's 65,535 bound parameters. */
const STEPS_PER_STATEMENT = 500;

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
