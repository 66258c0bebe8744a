import { APICallError, RetryError } from 'ai';
import { describe, expect, it } from 'vitest';
import { type CallContext, LmError, toLmError } from '../../src/lm/lm-error.js';

const call: CallContext = {
  role: 'delegate',
  model: 'openai/m',
  timeoutMs: 1_000,
  timedOut: false,
  aborted: false,
};

function apiError(statusCode: number | undefined, message = 'boom'): APICallError {
  return new APICallError({
    message,
    url: 'http://llm/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
  });
}

describe('LmError', () => {
  it('is recognised by its marker, not by instanceof', () => {
    const error = new LmError('timeout', 'slow', {
      role: 'planner',
      model: 'openai/m',
      cause: new Error('inner'),
    });
    const lookalike = { [Symbol.for('fleet-rlm.LmError')]: true };
    expect(LmError.isInstance(error)).toBe(true);
    expect(LmError.isInstance(lookalike)).toBe(true);
    expect(LmError.isInstance(new Error('x'))).toBe(false);
    expect(LmError.isInstance(null)).toBe(false);
    expect((error.cause as Error).message).toBe('inner');
  });
});

describe('toLmError', () => {
  it('decides timeout and abort from the signals, whatever the error says', () => {
    const abortError = new DOMException('This operation was aborted', 'AbortError');
    expect(toLmError(abortError, { ...call, timedOut: true }).kind).toBe('timeout');
    expect(toLmError(abortError, { ...call, aborted: true }).kind).toBe('aborted');
  });

  it('maps statuses to kinds and keeps the cause', () => {
    const cause = apiError(503);
    const error = toLmError(cause, call);
    expect(error).toMatchObject({ kind: 'http_error', statusCode: 503, role: 'delegate', model: 'openai/m' });
    expect(error.cause).toBe(cause);
    expect(toLmError(apiError(429), call).kind).toBe('rate_limited');
    expect(toLmError(apiError(undefined), call).kind).toBe('network');
    expect(toLmError(apiError(200, 'Invalid JSON response'), call).kind).toBe('bad_response');
  });

  it("points a 404 at the role's model and base variables", () => {
    const message = toLmError(apiError(404), call).message;
    expect(message).toContain('DSPY_DELEGATE_LM_MODEL');
    expect(message).toContain('DSPY_DELEGATE_LM_API_BASE');
  });

  it('unwraps a RetryError to its last error and counts the attempts', () => {
    const retry = new RetryError({
      message: 'Failed after 3 attempts',
      reason: 'maxRetriesExceeded',
      errors: [apiError(500), apiError(502), apiError(429, 'slow down')],
    });
    const error = toLmError(retry, call);
    expect(error).toMatchObject({ kind: 'rate_limited', statusCode: 429 });
    expect(error.message).toContain('after 3 attempts');
    expect(error.message).toContain('slow down');
    expect(error.cause).toBe(retry);
  });

  it('passes an LmError through unchanged', () => {
    const original = new LmError('not_configured', 'no model');
    expect(toLmError(original, call)).toBe(original);
  });
});
