/**
 * The one error base: a `FleetError` carries a catalogue code (the HTTP status comes from the
 * catalogue, nowhere else), details and a cause; subclasses carry their own data; `isInstance`
 * holds across two loaded copies of the module, where `instanceof` does not. And the HTTP
 * mapping answers every FleetError with its catalogue status, and anything else with a 500 —
 * no silent 400.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/contract/error-codes.js';
import { FleetError } from '../../src/contract/fleet-error.js';
import { DocumentError } from '../../src/documents/document-error.js';
import { LmError } from '../../src/lm/lm-error.js';
import { SandboxError } from '../../src/sandbox/sandbox-error.js';
import { AuthError } from '../../src/server/auth/auth-error.js';
import { mapError } from '../../src/server/http-error.js';
import { SessionError } from '../../src/sessions/session-error.js';
import { DuplicateSessionError } from '../../src/store/duplicate-session-error.js';
import { DuplicateTurnError } from '../../src/store/duplicate-turn-error.js';
import { InvalidCursorError } from '../../src/store/list-cursor.js';
import { FeedbackError } from '../../src/tracing/feedback-recorder.js';
import { MlflowError } from '../../src/tracing/mlflow/mlflow-error.js';
import { TraceCursorError } from '../../src/tracing/trace-catalog.js';
import { TurnError } from '../../src/turns/turn-error.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe('FleetError', () => {
  it('carries a catalogue code, the message, details and the cause', () => {
    const cause = new Error('underneath');
    const error = new FleetError('turn_in_progress', 'busy', { details: { turn: 3 }, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'FleetError', code: 'turn_in_progress', message: 'busy' });
    expect(error.details).toEqual({ turn: 3 });
    expect(error.cause).toBe(cause);
    expect(new FleetError('not_found', 'x').details).toBeUndefined();
    expectTypeOf(error.code).toEqualTypeOf<'turn_in_progress'>();
    expectTypeOf<FleetError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<DocumentError['code']>().toEqualTypeOf<Extract<ErrorCode, `document_${string}`>>();
    // @ts-expect-error: a code outside the catalogue does not compile
    new FleetError('no_such_code', 'x');
  });

  it('is the base of every server-side error class, each with its own name and marker', () => {
    const errors = [
      new TurnError('invalid_frame', 'x'),
      new SessionError('session_not_found', 'x'),
      new DocumentError('too_large', 'x'),
      new AuthError('auth_failed', 'x'),
      new FeedbackError('trace_not_found', 'x'),
      new LmError('timeout', 'x'),
      new SandboxError('crashed', 'x'),
      new MlflowError('unreachable', 'x'),
      new InvalidCursorError('abc'),
      new TraceCursorError('x'),
      new DuplicateTurnError('s', 'm'),
      new DuplicateSessionError('s'),
    ];
    const names = errors.map((error) => error.name);
    expect(new Set(names).size).toBe(errors.length);
    for (const error of errors) {
      expect(FleetError.isInstance(error), error.name).toBe(true);
      expect(ERROR_CODES[error.code], error.name).toBeDefined();
    }
    expect(SessionError.isInstance(new SessionError('session_archived', 'x'))).toBe(true);
    expect(SessionError.isInstance(new TurnError('session_archived', 'x'))).toBe(false);
    expect(TurnError.isInstance(new SessionError('session_archived', 'x'))).toBe(false);
    expect(FleetError.isInstance(new Error('plain'))).toBe(false);
    expect(FleetError.isInstance({ code: 'not_found', message: 'x' })).toBe(false);
    expect(FleetError.isInstance(null)).toBe(false);
  });

  it('keeps each subclass its data, with a catalogue code beside it', () => {
    const document = new DocumentError('parse_out_of_memory', 'too big');
    expect(document).toMatchObject({ kind: 'parse_out_of_memory', code: 'document_parse_out_of_memory' });
    const lm = new LmError('rate_limited', 'slow down', { statusCode: 429, role: 'planner' });
    expect(lm).toMatchObject({ kind: 'rate_limited', code: 'llm_rate_limited', statusCode: 429 });
    expect(new LmError('timeout', 'x').code).toBe('llm_timeout');
    expect(new LmError('not_configured', 'x').code).toBe('planner_missing');
    expect(new LmError('http_error', 'x').code).toBe('llm_error');
    // An error that never reaches a transport on its own is an internal one there.
    expect(new SandboxError('crashed', 'x')).toMatchObject({ kind: 'crashed', code: 'internal_error' });
    expect(new MlflowError('http', 'x', { status: 404 })).toMatchObject({
      status: 404,
      code: 'internal_error',
    });
  });

  it('is recognised across two loaded copies of its module, where instanceof is not', async () => {
    // A second copy of the modules, as when two versions of the package are installed.
    const copy = (await import(
      /* @vite-ignore */ `../../src/contract/fleet-error.js?copy=${Date.now()}`
    )) as typeof import('../../src/contract/fleet-error.js');
    const sessionCopy = (await import(
      /* @vite-ignore */ `../../src/sessions/session-error.js?copy=${Date.now()}`
    )) as typeof import('../../src/sessions/session-error.js');
    expect(copy.FleetError).not.toBe(FleetError);
    expect(sessionCopy.SessionError).not.toBe(SessionError);

    const foreign = new copy.FleetError('forbidden', 'x');
    expect(foreign instanceof FleetError).toBe(false);
    expect(FleetError.isInstance(foreign)).toBe(true);
    const foreignSession = new sessionCopy.SessionError('session_archived', 'x');
    expect(foreignSession instanceof SessionError).toBe(false);
    expect(SessionError.isInstance(foreignSession)).toBe(true);
    expect(FleetError.isInstance(foreignSession)).toBe(true);
    expect(TurnError.isInstance(foreignSession)).toBe(false);
    expect(copy.FleetError.isInstance(new SessionError('session_archived', 'x'))).toBe(true);
  });
});

describe('the HTTP mapping', () => {
  it('answers every code with its catalogue status', () => {
    for (const code of CODES) {
      const mapped = mapError(new FleetError(code, `failed with ${code}`, { details: { n: 1 } }));
      expect(mapped.status, code).toBe(ERROR_CODES[code].status);
      expect(mapped.code, code).toBe(code);
      if (code === 'internal_error') continue;
      expect(mapped.message, code).toBe(`failed with ${code}`);
      expect(mapped.details, code).toEqual({ n: 1 });
    }
  });

  it('keeps the statuses the per-class tables gave', () => {
    const cases: Array<[unknown, number, ErrorCode]> = [
      [new TurnError('planner_missing', 'x'), 503, 'planner_missing'],
      [new TurnError('quota_exceeded', 'x'), 429, 'quota_exceeded'],
      [new TurnError('turn_in_progress', 'x'), 409, 'turn_in_progress'],
      [new SessionError('session_not_found', 'x'), 404, 'session_not_found'],
      [new SessionError('session_archived', 'x'), 409, 'session_archived'],
      [new DocumentError('too_large', 'x'), 413, 'document_too_large'],
      [new DocumentError('unsupported_type', 'x'), 415, 'document_unsupported_type'],
      [new DocumentError('fetch_failed', 'x'), 502, 'document_fetch_failed'],
      [new DocumentError('timeout', 'x'), 504, 'document_timeout'],
      [new DocumentError('empty', 'x'), 422, 'document_empty'],
      [new DocumentError('parse_out_of_memory', 'x'), 413, 'document_parse_out_of_memory'],
      [new DocumentError('busy', 'x'), 503, 'document_busy'],
      [new FeedbackError('trace_turn_mismatch', 'x'), 400, 'trace_turn_mismatch'],
      [new FeedbackError('feedback_unavailable', 'x'), 503, 'feedback_unavailable'],
      [new AuthError('auth_required', 'x'), 401, 'auth_required'],
      [new AuthError('auth_unavailable', 'x'), 503, 'auth_unavailable'],
      [new InvalidCursorError('abc'), 400, 'invalid_cursor'],
      [new TraceCursorError('x'), 400, 'invalid_cursor'],
    ];
    for (const [error, status, code] of cases)
      expect(mapError(error), String(error)).toMatchObject({ status, code });
  });

  it('answers anything else, and an internal FleetError, with a 500 that tells nothing', () => {
    for (const error of [
      new Error('secret detail'),
      new TypeError('secret detail'),
      'a string',
      new SandboxError('crashed', 'secret detail'),
      new FleetError('internal_error', 'secret detail'),
    ]) {
      const mapped = mapError(error);
      expect(mapped).toMatchObject({ status: 500, code: 'internal_error' });
      expect(mapped.message).not.toContain('secret');
      expect(mapped.details).toBeUndefined();
    }
  });
});
