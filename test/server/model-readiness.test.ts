/**
 * A model string the server cannot use, as a new user writes it: `gpt-4o` without its provider,
 * or `foo/bar` with one nobody supports. Readiness and runtime status check the strings, not
 * only that they are set: a bad planner means no turn can run (`/ready` 503, with the reason and
 * the fix: the variable and an example); a bad delegate model fails only delegations and
 * sub-calls, so the server stays ready and status says what to fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, type Harness, PLANNER, script, startHarness } from '../support/server-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a planner model string the server cannot use', () => {
  it.each([
    ['gpt-4o', /DSPY_LM_MODEL.*has no provider/, 'DSPY_LM_MODEL=openai/gpt-4o'],
    [
      'foo/bar',
      /unknown provider 'foo' in model 'foo\/bar' \(from DSPY_LM_MODEL\)/,
      'DSPY_LM_MODEL=openai/bar',
    ],
  ])(
    '%s: /ready is 503 with the reason and the fix, and status is not ready',
    async (model, problem, example) => {
      harness = await startHarness({ DSPY_LM_MODEL: model });
      const ready = await api(harness, 'GET', '/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ ready: false, planner: 'invalid', planner_configured: false });
      expect(ready.body!.reasons).toEqual([expect.stringMatching(problem)]);
      expect(ready.body!.reasons[0]).toContain(example);
      expect(ready.body!.reasons[0]).toContain('openai, anthropic, ollama, openrouter');

      const status = await api(harness, 'GET', '/api/v1/runtime/status');
      expect(status.body).toMatchObject({ ready: false });
      expect(status.body!.guidance[0]).toMatch(problem);
      expect(status.body!.guidance[0]).toContain(example);
    },
  );
});

describe('a delegate model string the server cannot use', () => {
  it('keeps the server ready (turns run; delegations fail) and status says what to fix', async () => {
    harness = await startHarness({
      DSPY_DELEGATE_LM_MODEL: 'gpt-4o-mini',
      DSPY_DELEGATE_LM_SMALL_MODEL: 'foo/small',
    });
    const ready = await api(harness, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, planner: 'ready', reasons: [] });
    expect(ready.body!.warnings).toEqual([
      expect.stringMatching(
        /^DSPY_DELEGATE_LM_MODEL: .*has no provider.*DSPY_DELEGATE_LM_MODEL=openai\/gpt-4o-mini/,
      ),
      expect.stringMatching(
        /^DSPY_DELEGATE_LM_SMALL_MODEL: unknown provider 'foo'.*DSPY_DELEGATE_LM_SMALL_MODEL=openai\/small/,
      ),
    ]);

    // With the planner checked end to end, status is ready too, and still names both fixes.
    script(harness, [{ model: PLANNER, reply: 'OK' }]);
    const test = await api(harness, 'POST', '/api/v1/runtime/tests/lm');
    expect(test.body).toMatchObject({ ok: true });
    const status = await api(harness, 'GET', '/api/v1/runtime/status');
    expect(status.body).toMatchObject({ ready: true });
    expect(status.body!.guidance).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Fix DSPY_DELEGATE_LM_MODEL: .*DSPY_DELEGATE_LM_MODEL=openai\/gpt-4o-mini.*delegat/,
        ),
        expect.stringMatching(
          /^Fix DSPY_DELEGATE_LM_SMALL_MODEL: .*DSPY_DELEGATE_LM_SMALL_MODEL=openai\/small.*llm_query/,
        ),
      ]),
    );
  });
});
