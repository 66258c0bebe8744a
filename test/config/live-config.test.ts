/**
 * LiveConfig: a reload applies the live sections (models, Daytona) at once and leaves the rest
 * for the next start, refuses a bad environment without changing anything, keeps replaced
 * secrets, and tells listeners.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { LiveConfig } from '../../src/config/live-config.js';

const START = { DSPY_LM_MODEL: 'openai/one', DSPY_LLM_API_KEY: 'sk-first-key', RLM_MAX_DEPTH: '2' };

function live() {
  return new LiveConfig({ config: loadConfig(START), env: START });
}

describe('LiveConfig', () => {
  it('applies the models and Daytona at once, and everything else at the next start', () => {
    const config = live();
    const seen: Array<[string | undefined, string | undefined]> = [];
    config.onChange((next, previous) => seen.push([previous.lm.planner?.model, next.lm.planner?.model]));
    const next = { ...START, DSPY_LM_MODEL: 'openai/two', DAYTONA_TARGET: 'eu', RLM_MAX_DEPTH: '5' };
    config.reload(next);
    expect(config.current().lm.planner?.model).toBe('openai/two');
    expect(config.current().daytona.target).toBe('eu');
    expect(config.current().rlm.maxDepth).toBe(2);
    expect(config.env()).toEqual(next);
    expect(seen).toEqual([['openai/one', 'openai/two']]);
    expect(LiveConfig.takesEffect('DSPY_LM_MODEL')).toBe('now');
    expect(LiveConfig.takesEffect('DSPY_LM_API_KEY')).toBe('now');
    expect(LiveConfig.takesEffect('DAYTONA_API_URL')).toBe('now');
    expect(LiveConfig.takesEffect('RLM_MAX_DEPTH')).toBe('restart');
    expect(() => LiveConfig.takesEffect('NOT_A_SETTING')).toThrow(ConfigError);
  });

  it('refuses a bad environment and changes nothing', () => {
    const config = live();
    const before = config.current();
    expect(() =>
      config.reload({ ...START, DSPY_LM_MODEL: 'openai/two', DSPY_LM_MAX_TOKENS: 'many' }),
    ).toThrow("DSPY_LM_MAX_TOKENS must be an integer >= 1; got 'many'");
    expect(config.current()).toBe(before);
    expect(config.env()).toEqual(START);
  });

  it('keeps a replaced key among the secrets', () => {
    const config = live();
    config.reload({ ...START, DSPY_LLM_API_KEY: 'sk-second-key' });
    expect(config.current().lm.planner?.apiKey).toBe('sk-second-key');
    expect(config.current().secrets).toEqual(expect.arrayContaining(['sk-first-key', 'sk-second-key']));
  });
});
