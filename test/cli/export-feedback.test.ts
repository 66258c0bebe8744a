/**
 * `fleet-rlm export-feedback` on a real SQLite store in a temp FLEET_DATA_DIR, filled through the
 * Store API: the command runs inside a commander program of its own (and once as a child process
 * through main), and the tests read its JSONL from stdout or the output file and its summary
 * from stderr: exact records, the latest feedback per turn or all of it, the filters, the atomic
 * output file, purged turns, and the errors for bad option values.
 */
import { spawn } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Sqlite from 'better-sqlite3';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseSince, registerExportFeedbackCommand } from '../../src/cli/export-feedback-command.js';
import { CliError } from '../../src/cli/run-command.js';
import { loadConfig } from '../../src/config/config.js';
import type { ExecutionMode } from '../../src/contract/client-frames.js';
import { openStore } from '../../src/store/open-store.js';
import type { FeedbackRow, Identity, Store } from '../../src/store/store.js';
import { type CapturedOutput, captureProcessOutput } from '../support/capture-output.js';

const ADA: Identity = { workspaceId: 'acme', userId: 'ada' };
const BOB: Identity = { workspaceId: 'acme', userId: 'bob' };
const CY: Identity = { workspaceId: 'globex', userId: 'cy' };
const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15, costUsd: 0.001 };
const at = (iso: string) => Date.parse(iso);

let dataDir: string;
let envFile: string;
let store: Store;
let captured: CapturedOutput;
let sessions: { ada: string; bob: string; cy: string };

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fleet-export-feedback-'));
  envFile = join(dataDir, 'empty.env');
  writeFileSync(envFile, '');
  // Only this test's data directory may reach loadConfig: not the developer's shell or database.
  vi.stubEnv('FLEET_DATA_DIR', dataDir);
  vi.stubEnv('DATABASE_URL', undefined);
  store = await openStore(loadConfig({ FLEET_DATA_DIR: dataDir }));
  sessions = {
    ada: (await store.createSession(ADA)).id,
    bob: (await store.createSession(BOB)).id,
    cy: (await store.createSession(CY)).id,
  };
  captured = captureProcessOutput();
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function addTurn(
  id: string,
  sessionId: string,
  identity: Identity,
  fields: {
    question: string;
    answer?: string;
    mode?: ExecutionMode;
    startedAt: string;
    traceId?: string;
  },
): Promise<void> {
  await store.createTurn({
    id,
    sessionId,
    identity,
    userMessage: fields.question,
    executionMode: fields.mode ?? 'auto',
    startedAt: at(fields.startedAt),
  });
  await store.finishTurn(id, {
    status: fields.answer === undefined ? 'error' : 'completed',
    ...(fields.answer === undefined ? { error: 'the model failed' } : { assistantMessage: fields.answer }),
    finishedAt: at(fields.startedAt) + 2_000,
    usage,
    ...(fields.traceId ? { traceId: fields.traceId } : {}),
  });
}

async function addFeedback(
  id: string,
  turnId: string,
  identity: Identity,
  fields: Partial<FeedbackRow> & { isCorrect: boolean; createdAt: number },
): Promise<void> {
  await store.addFeedback({
    id,
    turnId,
    traceId: null,
    ...identity,
    comment: null,
    expectedResponse: null,
    ...fields,
  });
}

/**
 * Ada labels turn-1 incorrect, then changes her mind (correct); turn-2 incorrect with a
 * correction (given before the turn's trace id was known); Bob and Cy one label each; turn-5 has
 * none.
 */
async function seed(): Promise<void> {
  await addTurn('turn-1', sessions.ada, ADA, {
    question: 'What is 2+2?',
    answer: '4',
    startedAt: '2024-05-01T10:00:00.000Z',
    traceId: 'tr-1',
  });
  await addTurn('turn-2', sessions.ada, ADA, {
    question: 'Capital of France?',
    answer: 'Lyon',
    mode: 'rlm_only',
    startedAt: '2024-05-01T11:00:00.000Z',
    traceId: 'tr-2',
  });
  await addTurn('turn-3', sessions.bob, BOB, {
    question: 'Summarize the log',
    answer: 'Three timeouts, one crash.',
    mode: 'tools_only',
    startedAt: '2024-05-03T08:00:00.000Z',
    traceId: 'tr-3',
  });
  await addTurn('turn-4', sessions.cy, CY, {
    question: 'Why did it fail?',
    startedAt: '2024-05-04T08:00:00.000Z',
  });
  await addTurn('turn-5', sessions.ada, ADA, {
    question: 'unlabeled',
    answer: 'nobody rated this',
    startedAt: '2024-05-05T08:00:00.000Z',
  });
  await addFeedback('fb-1', 'turn-1', ADA, {
    traceId: 'tr-1',
    isCorrect: false,
    comment: 'looks wrong',
    createdAt: at('2024-05-01T10:01:00.000Z'),
  });
  await addFeedback('fb-2', 'turn-1', ADA, {
    traceId: 'tr-1',
    isCorrect: true,
    comment: 'actually fine',
    createdAt: at('2024-05-01T10:05:00.000Z'),
  });
  await addFeedback('fb-3', 'turn-2', ADA, {
    isCorrect: false,
    comment: 'wrong city',
    expectedResponse: 'Paris',
    createdAt: at('2024-05-02T09:00:00.000Z'),
  });
  await addFeedback('fb-4', 'turn-3', BOB, {
    traceId: 'tr-3',
    isCorrect: true,
    createdAt: at('2024-05-03T12:00:00.000Z'),
  });
  await addFeedback('fb-5', 'turn-4', CY, {
    isCorrect: false,
    comment: 'no answer at all',
    createdAt: at('2024-05-04T09:00:00.000Z'),
  });
}

const RECORD_1_FIRST = {
  turn_id: 'turn-1',
  session_id: '',
  trace_id: 'tr-1',
  workspace_id: 'acme',
  user_id: 'ada',
  question: 'What is 2+2?',
  answer: '4',
  is_correct: false,
  comment: 'looks wrong',
  expected_response: null,
  execution_mode: 'auto',
  created_at: '2024-05-01T10:01:00.000Z',
  turn_started_at: '2024-05-01T10:00:00.000Z',
};

/** The records of the seed, by feedback id, in the order of the dataset's keys. */
function expected(): Record<string, Record<string, unknown>> {
  return {
    'fb-1': { ...RECORD_1_FIRST, session_id: sessions.ada },
    'fb-2': {
      ...RECORD_1_FIRST,
      session_id: sessions.ada,
      is_correct: true,
      comment: 'actually fine',
      created_at: '2024-05-01T10:05:00.000Z',
    },
    'fb-3': {
      turn_id: 'turn-2',
      session_id: sessions.ada,
      trace_id: 'tr-2',
      workspace_id: 'acme',
      user_id: 'ada',
      question: 'Capital of France?',
      answer: 'Lyon',
      is_correct: false,
      comment: 'wrong city',
      expected_response: 'Paris',
      execution_mode: 'rlm_only',
      created_at: '2024-05-02T09:00:00.000Z',
      turn_started_at: '2024-05-01T11:00:00.000Z',
    },
    'fb-4': {
      turn_id: 'turn-3',
      session_id: sessions.bob,
      trace_id: 'tr-3',
      workspace_id: 'acme',
      user_id: 'bob',
      question: 'Summarize the log',
      answer: 'Three timeouts, one crash.',
      is_correct: true,
      comment: null,
      expected_response: null,
      execution_mode: 'tools_only',
      created_at: '2024-05-03T12:00:00.000Z',
      turn_started_at: '2024-05-03T08:00:00.000Z',
    },
    'fb-5': {
      turn_id: 'turn-4',
      session_id: sessions.cy,
      trace_id: null,
      workspace_id: 'globex',
      user_id: 'cy',
      question: 'Why did it fail?',
      answer: null,
      is_correct: false,
      comment: 'no answer at all',
      expected_response: null,
      execution_mode: 'auto',
      created_at: '2024-05-04T09:00:00.000Z',
      turn_started_at: '2024-05-04T08:00:00.000Z',
    },
  };
}

/** The exact JSONL the given feedback ids make, in that order. */
function jsonl(...feedbackIds: string[]): string {
  const records = expected();
  return feedbackIds.map((id) => `${JSON.stringify(records[id])}\n`).join('');
}

async function exportFeedback(...args: string[]): Promise<void> {
  const program = new Command('fleet-rlm').exitOverride().configureOutput({
    writeErr: (text) => {
      captured.stderr += text;
    },
  });
  registerExportFeedbackCommand(program);
  await program.parseAsync(['export-feedback', '--env-file', envFile, ...args], { from: 'user' });
}

/** The `turn_id`s of the JSONL on stdout, in order. */
function exportedTurns(): string[] {
  return captured.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { turn_id: string }).turn_id);
}

describe('fleet-rlm export-feedback', () => {
  it('writes one line per labeled turn, with its latest feedback, to stdout', async () => {
    await seed();
    await exportFeedback();
    // turn-1's latest label wins (correct, "actually fine"); turn-5 has no feedback.
    expect(captured.stdout).toBe(jsonl('fb-2', 'fb-3', 'fb-4', 'fb-5'));
    expect(captured.stderr).toBe('exported 4 labeled turn(s) (2 correct, 2 incorrect) to stdout\n');
    // The keys in the documented order, snake_case.
    expect(Object.keys(JSON.parse(captured.stdout.split('\n')[0]!))).toEqual([
      'turn_id',
      'session_id',
      'trace_id',
      'workspace_id',
      'user_id',
      'question',
      'answer',
      'is_correct',
      'comment',
      'expected_response',
      'execution_mode',
      'created_at',
      'turn_started_at',
    ]);
  });

  it('--latest-only is the default; --all keeps every feedback; the two conflict', async () => {
    await seed();
    await exportFeedback('--latest-only');
    expect(captured.stdout).toBe(jsonl('fb-2', 'fb-3', 'fb-4', 'fb-5'));
    captured.stdout = '';
    captured.stderr = '';
    await exportFeedback('--all');
    expect(captured.stdout).toBe(jsonl('fb-1', 'fb-2', 'fb-3', 'fb-4', 'fb-5'));
    expect(captured.stderr).toBe(
      'exported 5 feedback record(s) on 4 turn(s) (2 correct, 3 incorrect) to stdout\n',
    );
    captured.stdout = '';
    captured.stderr = '';
    await expect(exportFeedback('--all', '--latest-only')).rejects.toMatchObject({
      code: 'commander.conflictingOption',
    });
    expect(captured.stderr).toMatch(/'--latest-only' cannot be used with option '--all'/);
    expect(captured.stdout).toBe('');
  });

  it('filters by workspace, user, time and verdict, and combines the filters', async () => {
    await seed();
    const cases: Array<[string[], string[]]> = [
      [
        ['--workspace', 'acme'],
        ['turn-1', 'turn-2', 'turn-3'],
      ],
      [['-w', 'globex'], ['turn-4']],
      [
        ['--user', 'ada'],
        ['turn-1', 'turn-2'],
      ],
      [
        ['--since', '2024-05-02'],
        ['turn-2', 'turn-3', 'turn-4'],
      ],
      // Inclusive, and a date-time with an offset: 2024-05-03T14:00+02:00 is fb-4's 12:00Z.
      [
        ['--since', '2024-05-03T14:00+02:00'],
        ['turn-3', 'turn-4'],
      ],
      // Between fb-1 and fb-2: only turn-1's second label is recent enough.
      [
        ['--since', '2024-05-01T10:03:00Z', '--all'],
        ['turn-1', 'turn-2', 'turn-3', 'turn-4'],
      ],
      [
        ['--only', 'correct'],
        ['turn-1', 'turn-3'],
      ],
      // The verdict kept is the latest: turn-1 was corrected to "correct", so it is not here.
      [
        ['--only', 'incorrect'],
        ['turn-2', 'turn-4'],
      ],
      // ...unless every feedback is kept.
      [
        ['--only', 'incorrect', '--all'],
        ['turn-1', 'turn-2', 'turn-4'],
      ],
      [['--workspace', 'acme', '--user', 'ada', '--only', 'correct'], ['turn-1']],
      [['--workspace', 'acme', '--user', 'cy'], []],
    ];
    for (const [args, turns] of cases) {
      captured.stdout = '';
      await exportFeedback(...args);
      expect({ args, turns: exportedTurns() }).toEqual({ args, turns });
    }
    captured.stdout = '';
    captured.stderr = '';
    await exportFeedback('--only', 'incorrect', '--all', '--user', 'ada');
    expect(captured.stdout).toBe(jsonl('fb-1', 'fb-3'));
    expect(captured.stderr).toBe(
      'exported 2 feedback record(s) on 2 turn(s) (0 correct, 2 incorrect) to stdout\n',
    );
    captured.stdout = '';
    captured.stderr = '';
    await exportFeedback('--since', '2030-01-01');
    expect(captured.stdout).toBe('');
    expect(captured.stderr).toBe('exported 0 labeled turn(s) (0 correct, 0 incorrect) to stdout\n');
  });

  it('--output replaces the file by a rename: a new file, nothing on stdout, no temp file left', async () => {
    await seed();
    const outDir = join(dataDir, 'out');
    mkdirSync(outDir);
    const output = join(outDir, 'feedback.jsonl');
    writeFileSync(output, 'old dataset\n');
    // A second name for the old file: an in-place write would change what it shows too.
    linkSync(output, join(outDir, 'previous.jsonl'));
    await exportFeedback('--output', output, '--workspace', 'acme');
    expect(readFileSync(output, 'utf8')).toBe(jsonl('fb-2', 'fb-3', 'fb-4'));
    expect(readFileSync(join(outDir, 'previous.jsonl'), 'utf8')).toBe('old dataset\n');
    expect(readdirSync(outDir).sort()).toEqual(['feedback.jsonl', 'previous.jsonl']);
    expect(captured.stdout).toBe('');
    expect(captured.stderr).toBe(`exported 3 labeled turn(s) (2 correct, 1 incorrect) to ${output}\n`);

    // -o - is captured.stdout.
    captured.stderr = '';
    await exportFeedback('-o', '-', '--user', 'bob');
    expect(captured.stdout).toBe(jsonl('fb-4'));
    expect(captured.stderr).toBe('exported 1 labeled turn(s) (1 correct, 0 incorrect) to stdout\n');
  });

  it('fails clearly when the output cannot be written, and leaves no temp file behind', async () => {
    await seed();
    const missing = join(dataDir, 'no-such-dir', 'feedback.jsonl');
    await expect(exportFeedback('--output', missing)).rejects.toThrow(
      new CliError(`cannot write ${missing}: the directory ${join(dataDir, 'no-such-dir')} does not exist`),
    );
    const outDir = join(dataDir, 'out');
    mkdirSync(join(outDir, 'feedback.jsonl'), { recursive: true });
    await expect(exportFeedback('--output', join(outDir, 'feedback.jsonl'))).rejects.toThrow(
      `cannot write ${join(outDir, 'feedback.jsonl')}: it is a directory`,
    );
    expect(readdirSync(outDir)).toEqual(['feedback.jsonl']);
    expect(readdirSync(join(outDir, 'feedback.jsonl'))).toEqual([]);
    expect(captured.stdout).toBe('');
    expect(captured.stderr).toBe('');
  });

  it('gives a clear CliError for a bad --since, --only, --workspace or --user', async () => {
    await seed();
    const cases: Array<[string[], string]> = [
      [
        ['--since', 'yesterday'],
        "--since must be an ISO 8601 date or date-time, e.g. 2024-05-01 or 2024-05-01T09:30:00Z, not 'yesterday'",
      ],
      [
        ['--since', '2024-02-30'],
        "--since must be an ISO 8601 date or date-time, e.g. 2024-05-01 or 2024-05-01T09:30:00Z, not '2024-02-30'",
      ],
      [
        ['--since', '2024-05-01T25:00Z'],
        "--since must be an ISO 8601 date or date-time, e.g. 2024-05-01 or 2024-05-01T09:30:00Z, not '2024-05-01T25:00Z'",
      ],
      [['--only', 'maybe'], "--only must be correct or incorrect, not 'maybe'"],
      [['--workspace', 'a b'], '--workspace: the id may only contain letters, digits and . _ @ : -'],
      [['--user', ' '], '--user: the id is empty'],
    ];
    for (const [args, message] of cases) {
      const error = await exportFeedback(...args).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(CliError);
      expect({ args, message: (error as CliError).message }).toEqual({ args, message });
    }
    expect(captured.stdout).toBe('');
  });

  it('reads --since as a date at midnight UTC, or a date-time in UTC unless it has a zone', () => {
    expect(parseSince('2024-05-01')).toBe(Date.UTC(2024, 4, 1));
    expect(parseSince('2024-05-01T09:30')).toBe(Date.UTC(2024, 4, 1, 9, 30));
    expect(parseSince('2024-05-01T09:30:15.250Z')).toBe(Date.UTC(2024, 4, 1, 9, 30, 15, 250));
    expect(parseSince('2024-05-01T11:30:00+02:00')).toBe(Date.UTC(2024, 4, 1, 9, 30));
    expect(parseSince('2024-05-01T04:30-0500')).toBe(Date.UTC(2024, 4, 1, 9, 30));
    expect(parseSince('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(() => parseSince('2023-02-29')).toThrow(CliError);
    expect(() => parseSince('1714521600000')).toThrow(CliError);
    expect(() => parseSince('May 1, 2024')).toThrow(CliError);
  });

  it('leaves out purged sessions, and skips and counts feedback whose turn is gone', async () => {
    await seed();
    // A purged session takes its turns and their feedback with it.
    await store.archiveSession(sessions.bob, at('2024-06-01T00:00:00Z'));
    expect(await store.purgeArchivedSessions(at('2024-07-01T00:00:00Z'))).toBe(1);
    // A turn deleted under feedback that was already read (a purge racing the export) leaves a
    // feedback row without its turn; the foreign key stops anything else from making one.
    const database = new Sqlite(join(dataDir, 'fleet-rlm.db'));
    try {
      database.pragma('foreign_keys = OFF');
      database.prepare('delete from turns where id = ?').run('turn-2');
    } finally {
      database.close();
    }
    await exportFeedback();
    expect(captured.stdout).toBe(jsonl('fb-2', 'fb-5'));
    expect(captured.stderr).toBe(
      'exported 2 labeled turn(s) (1 correct, 1 incorrect) to stdout; skipped 1 turn(s) that no longer exist (purged)\n',
    );
    // A filter that leaves the missing turn out does not count it.
    captured.stdout = '';
    captured.stderr = '';
    await exportFeedback('--only', 'correct');
    expect(captured.stdout).toBe(jsonl('fb-2'));
    expect(captured.stderr).toBe('exported 1 labeled turn(s) (1 correct, 0 incorrect) to stdout\n');
  });

  it('refuses a data directory without a database instead of creating one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fleet-export-empty-'));
    try {
      vi.stubEnv('FLEET_DATA_DIR', empty);
      await expect(exportFeedback()).rejects.toThrow(
        new CliError(
          `no database at ${join(empty, 'fleet-rlm.db')}: set FLEET_DATA_DIR (or DATABASE_URL) to the server's, or use --env-file`,
        ),
      );
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reads FLEET_DATA_DIR from --env-file', async () => {
    await seed();
    vi.stubEnv('FLEET_DATA_DIR', undefined);
    envFile = join(dataDir, 'data.env');
    writeFileSync(envFile, `FLEET_DATA_DIR=${dataDir}\n`);
    await exportFeedback('--user', 'cy');
    expect(captured.stdout).toBe(jsonl('fb-5'));
  });
});

describe('fleet-rlm export-feedback through main', () => {
  const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const MAIN = new URL('../../src/cli/main.ts', import.meta.url).href;
  const ENTRY = `import(${JSON.stringify(MAIN)}).then((cli) => cli.main(['node', 'fleet-rlm', ...process.argv.slice(1)]))`;

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', TSX, '-e', ENTRY, 'export-feedback', ...args], {
        cwd: dataDir, // no stray .env
        env: { PATH: process.env.PATH ?? '', HOME: dataDir, FLEET_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = { stdout: '', stderr: '' };
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        output.stdout += text;
      });
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        output.stderr += text;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, ...output }));
    });
  }

  it('is registered, writes the file, and exits 1 with one error line on a bad value', async () => {
    await seed();
    const output = join(dataDir, 'correct.jsonl');
    const ok = await cli(['--output', output, '--only', 'correct']);
    expect(ok).toEqual({
      code: 0,
      stdout: '',
      stderr: `exported 2 labeled turn(s) (2 correct, 0 incorrect) to ${output}\n`,
    });
    expect(readFileSync(output, 'utf8')).toBe(jsonl('fb-2', 'fb-4'));
    const bad = await cli(['--only', 'nope']);
    expect(bad).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: --only must be correct or incorrect, not 'nope'\n",
    });
  }, 30_000);
});
