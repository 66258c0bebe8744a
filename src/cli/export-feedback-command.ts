/**
 * `fleet-rlm export-feedback`: the turns users labeled (thumbs up/down, optional comment and
 * expected response) as a JSONL dataset, one labeled example per line, for evaluation and
 * prompt optimization. Reads the same store as the server (SQLite under FLEET_DATA_DIR, or
 * DATABASE_URL). By default each turn appears once, with its most recent feedback (users can
 * change their mind); `--all` keeps every feedback. The dataset goes to stdout or, with
 * --output, to a file written atomically (temp file + rename); the summary goes to stderr.
 *
 * Feedback is deleted with its turn (ON DELETE CASCADE), so a turn is missing only when its
 * session was purged while the export ran; such feedback is skipped and counted.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Command, Option } from 'commander';
import { loadConfig, loadEnvFile } from '../config/config.js';
import { identityValueProblem } from '../server/auth/identity-claims.js';
import { DatabaseUnreachableError } from '../store/database-unreachable-error.js';
import type { FeedbackRow, FeedbackStore } from '../store/feedback-store.js';
import { openStore } from '../store/open-store.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-database.js';
import type { TurnRow, TurnStore } from '../store/turn-store.js';
import { CliError } from './run-command.js';

interface ExportFeedbackFlags {
  output?: string;
  workspace?: string;
  user?: string;
  since?: string;
  only?: string;
  latestOnly?: boolean;
  all?: boolean;
  envFile?: string;
}

/** One line of the dataset. */
export interface FeedbackRecord {
  turn_id: string;
  session_id: string;
  trace_id: string | null;
  workspace_id: string;
  user_id: string;
  question: string;
  answer: string | null;
  is_correct: boolean;
  comment: string | null;
  expected_response: string | null;
  execution_mode: TurnRow['executionMode'];
  /** When the feedback was given (ISO 8601, UTC). */
  created_at: string;
  turn_started_at: string;
}

export interface ExportFeedbackOptions {
  workspaceId?: string;
  userId?: string;
  /** Epoch ms; feedback given at or after it. */
  since?: number;
  only?: 'correct' | 'incorrect';
  /** Every feedback instead of the latest per turn. */
  all?: boolean;
}

export interface ExportFeedbackResult {
  records: FeedbackRecord[];
  /** Distinct turns that had matching feedback but no longer exist. */
  skippedTurns: number;
}

const VERDICTS = ['correct', 'incorrect'] as const;

export function registerExportFeedbackCommand(program: Command): void {
  program
    .command('export-feedback')
    .description('write the turns users labeled (feedback) as a JSONL dataset, e.g. for prompt optimization')
    .option('-o, --output <file>', 'write to this file, atomically (default: stdout; - is stdout too)')
    .option('-w, --workspace <id>', 'only feedback in this workspace')
    .option('-u, --user <id>', 'only feedback given by this user')
    .option(
      '--since <date>',
      'only feedback given at or after this ISO 8601 date or date-time (2024-05-01, 2024-05-01T09:30Z)',
    )
    .option('--only <verdict>', 'correct or incorrect: only the turns with that label')
    .addOption(
      new Option('--latest-only', 'one line per turn: its most recent feedback (the default)').conflicts(
        'all',
      ),
    )
    .option('--all', 'one line per feedback, so a turn labeled twice appears twice')
    .option('--env-file <path>', 'read variables from this file (default: ./.env when present)')
    .addHelpText(
      'after',
      `
Reads the server's database: SQLite under FLEET_DATA_DIR (default ./.fleet-rlm), or Postgres at
DATABASE_URL. Each line is one JSON object:
  {"turn_id", "session_id", "trace_id", "workspace_id", "user_id", "question", "answer",
   "is_correct", "comment", "expected_response", "execution_mode", "created_at", "turn_started_at"}
question/answer are the turn's user and assistant messages (answer is null when the turn failed
before answering); created_at is when the feedback was given. Lines are ordered by created_at.
--only applies to the verdict that is kept, so with the default a turn first marked incorrect and
then correct counts as correct. A date-time without a zone is UTC. A summary (how many, how many
correct and incorrect, turns skipped because they were purged) goes to stderr.

Examples:
  fleet-rlm export-feedback --output feedback.jsonl
  fleet-rlm export-feedback --workspace acme --since 2024-05-01 --only incorrect -o fixes.jsonl
  fleet-rlm export-feedback --all | jq -r .comment`,
    )
    .action(async (flags: ExportFeedbackFlags) => {
      await exportFeedbackCommand(flags);
    });
}

async function exportFeedbackCommand(flags: ExportFeedbackFlags): Promise<void> {
  const options = optionsFrom(flags);
  const output = flags.output === '-' ? undefined : flags.output;
  if (output !== undefined && !output.trim()) throw new CliError('--output needs a file name');
  const config = loadConfig(loadEnvFile(process.env, flags.envFile));
  if (!config.database.url) {
    // Opening creates the database: refuse rather than export from an empty new one.
    const path = join(config.dataDir, SQLITE_FILE_NAME);
    if (!existsSync(path)) {
      throw new CliError(
        `no database at ${path}: set FLEET_DATA_DIR (or DATABASE_URL) to the server's, or use --env-file`,
      );
    }
  }
  const store = await openStore(config).catch((error: unknown) => {
    if (DatabaseUnreachableError.isInstance(error)) throw new CliError(error.message);
    throw error;
  });
  let result: ExportFeedbackResult;
  try {
    result = await exportFeedback(store, options);
  } finally {
    await store.close();
  }
  const text = result.records.map((record) => `${JSON.stringify(record)}\n`).join('');
  if (output === undefined) process.stdout.write(text);
  else await writeAtomically(output, text);
  process.stderr.write(`${summary(result, options, output ?? 'stdout')}\n`);
}

/** The dataset's records, oldest feedback first. */
export async function exportFeedback(
  store: FeedbackStore & Pick<TurnStore, 'getTurn'>,
  options: ExportFeedbackOptions = {},
): Promise<ExportFeedbackResult> {
  // Oldest first (created_at, then id): the last one seen for a turn is its latest.
  const matching = (await store.listFeedback()).filter(
    (row) =>
      (options.workspaceId === undefined || row.workspaceId === options.workspaceId) &&
      (options.userId === undefined || row.userId === options.userId) &&
      (options.since === undefined || row.createdAt >= options.since),
  );
  let chosen: FeedbackRow[] = matching;
  if (!options.all) {
    const latest = new Map<string, FeedbackRow>();
    for (const row of matching) latest.set(row.turnId, row);
    const kept = new Set(latest.values());
    chosen = matching.filter((row) => kept.has(row));
  }
  if (options.only !== undefined) {
    const wanted = options.only === 'correct';
    chosen = chosen.filter((row) => row.isCorrect === wanted);
  }
  const turns = new Map<string, TurnRow | undefined>();
  const records: FeedbackRecord[] = [];
  for (const row of chosen) {
    if (!turns.has(row.turnId)) turns.set(row.turnId, await store.getTurn(row.turnId));
    const turn = turns.get(row.turnId);
    if (turn) records.push(toRecord(row, turn));
  }
  const skippedTurns = [...turns.values()].filter((turn) => turn === undefined).length;
  return { records, skippedTurns };
}

function toRecord(feedback: FeedbackRow, turn: TurnRow): FeedbackRecord {
  return {
    turn_id: turn.id,
    session_id: turn.sessionId,
    // The trace the feedback was given on; the turn's when the feedback came before its trace id.
    trace_id: feedback.traceId ?? turn.traceId,
    workspace_id: feedback.workspaceId,
    user_id: feedback.userId,
    question: turn.userMessage,
    answer: turn.assistantMessage,
    is_correct: feedback.isCorrect,
    comment: feedback.comment,
    expected_response: feedback.expectedResponse,
    execution_mode: turn.executionMode,
    created_at: new Date(feedback.createdAt).toISOString(),
    turn_started_at: new Date(turn.startedAt).toISOString(),
  };
}

function optionsFrom(flags: ExportFeedbackFlags): ExportFeedbackOptions {
  const options: ExportFeedbackOptions = { all: flags.all === true };
  if (flags.workspace !== undefined) options.workspaceId = identityFlag('--workspace', flags.workspace);
  if (flags.user !== undefined) options.userId = identityFlag('--user', flags.user);
  if (flags.since !== undefined) options.since = parseSince(flags.since);
  if (flags.only !== undefined) {
    const verdict = flags.only.trim().toLowerCase();
    if (!(VERDICTS as readonly string[]).includes(verdict)) {
      throw new CliError(`--only must be correct or incorrect, not '${flags.only}'`);
    }
    options.only = verdict as (typeof VERDICTS)[number];
  }
  return options;
}

function identityFlag(flag: string, value: string): string {
  const problem = identityValueProblem(value);
  if (problem) throw new CliError(`${flag}: the id ${problem}`);
  return value.trim();
}

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** An ISO 8601 date (midnight UTC) or date-time (UTC unless it has a zone) as epoch ms. */
export function parseSince(value: string): number {
  const text = value.trim();
  const match = ISO_DATE.exec(text);
  const invalid = () =>
    new CliError(
      `--since must be an ISO 8601 date or date-time, e.g. 2024-05-01 or 2024-05-01T09:30:00Z, not '${value}'`,
    );
  if (!match) throw invalid();
  const [, year, month, day, hour, minute, second, zone] = match;
  const calendarDay = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const realDay =
    calendarDay.getUTCFullYear() === Number(year) &&
    calendarDay.getUTCMonth() === Number(month) - 1 &&
    calendarDay.getUTCDate() === Number(day);
  const realTime =
    hour === undefined || (Number(hour) <= 23 && Number(minute) <= 59 && Number(second ?? 0) <= 59);
  if (!realDay || !realTime) throw invalid();
  let iso = text.toUpperCase().replace(' ', 'T');
  if (hour !== undefined && zone === undefined) iso += 'Z';
  else if (zone && /^[+-]\d{4}$/.test(zone)) iso = `${iso.slice(0, -5)}${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw invalid();
  return ms;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  // Same directory as the target, so the rename never crosses file systems.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `the directory ${dirname(path)} does not exist`
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (error as Error).message;
    throw new CliError(`cannot write ${path}: ${why}`);
  }
}

function summary(result: ExportFeedbackResult, options: ExportFeedbackOptions, target: string): string {
  const { records } = result;
  const correct = records.filter((record) => record.is_correct).length;
  const verdicts = `(${correct} correct, ${records.length - correct} incorrect)`;
  const what = options.all
    ? `${records.length} feedback record(s) on ${new Set(records.map((record) => record.turn_id)).size} turn(s)`
    : `${records.length} labeled turn(s)`;
  const skipped = result.skippedTurns
    ? `; skipped ${result.skippedTurns} turn(s) that no longer exist (purged)`
    : '';
  return `exported ${what} ${verdicts} to ${target}${skipped}`;
}
