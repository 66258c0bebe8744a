/** Feedback on a turn's answer (thumbs up/down with an optional correction), found by turn or trace. */

import type { FeedbackRow } from './feedback-store.js';
import { toFeedbackRow } from './rows.js';
import type { StoreContext } from './store-context.js';

export async function addFeedback(context: StoreContext, row: FeedbackRow): Promise<void> {
  await context.db
    .insertInto('feedback')
    .values({
      id: row.id,
      turn_id: row.turnId,
      trace_id: row.traceId,
      workspace_id: row.workspaceId,
      user_id: row.userId,
      // better-sqlite3 cannot bind a boolean; SQLite keeps booleans as 0/1.
      is_correct: context.dialect === 'sqlite' ? Number(row.isCorrect) : row.isCorrect,
      comment: row.comment,
      expected_response: row.expectedResponse,
      created_at: row.createdAt,
    })
    .execute();
}

/** Oldest first; both filters apply when both are given. */
export async function listFeedback(
  context: StoreContext,
  options: { turnId?: string; traceId?: string } = {},
): Promise<FeedbackRow[]> {
  let query = context.db.selectFrom('feedback').selectAll();
  if (options.turnId !== undefined) query = query.where('turn_id', '=', options.turnId);
  if (options.traceId !== undefined) query = query.where('trace_id', '=', options.traceId);
  const rows = await query.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
  return rows.map(toFeedbackRow);
}
