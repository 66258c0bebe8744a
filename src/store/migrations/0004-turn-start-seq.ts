/**
 * Adds `turns.chat_start_seq`: the last chat-stream seq of the session before the turn's first
 * frame. A client re-sending a message of a finished turn joins that turn's stream from there;
 * kept on the turn because the replay log is trimmed and a process-local map of it grew forever.
 * Turns from before this migration have none (null): they are joined from the oldest frame kept.
 */
import type { Kysely, Migration } from 'kysely';

export function turnStartSeqMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('turns').addColumn('chat_start_seq', 'bigint').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('turns').dropColumn('chat_start_seq').execute();
    },
  };
}
