/**
 * One live configuration after a settings PATCH, on a real server: the status route, the
 * settings route, `context.config` and the model a turn actually calls all agree on the new
 * values, and the PATCH answer says per key whether it applied now or needs a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Harness, RecordingSocket, script, startHarness } from '../../support/server-harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

describe('a settings PATCH on a running server', () => {
  it('changes what status, settings, context.config and the next turn see, all alike', async () => {
    const patched = await api(harness, 'PATCH', '/api/v1/runtime/settings', {
      updates: {
        DSPY_LM_MODEL: 'openai/replanner',
        DAYTONA_TARGET: 'eu',
        DAYTONA_API_KEY: 'dtn-live-key-0123',
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      updated: ['DAYTONA_API_KEY', 'DAYTONA_TARGET', 'DSPY_LM_MODEL'],
      takes_effect: { DAYTONA_API_KEY: 'now', DAYTONA_TARGET: 'now', DSPY_LM_MODEL: 'now' },
    });

    const status = await api(harness, 'GET', '/api/v1/runtime/status');
    expect(status.body?.active_models.planner).toBe('openai/replanner');
    expect(status.body?.daytona).toMatchObject({ api_key_set: true, target_set: true });
    const settings = await api(harness, 'GET', '/api/v1/runtime/settings');
    expect(settings.body?.values).toMatchObject({ DSPY_LM_MODEL: 'openai/replanner', DAYTONA_TARGET: 'eu' });

    // Everything else the server holds reads the same configuration, not the one it started with.
    const { config } = harness.server.context;
    expect(config.lm.planner?.model).toBe('openai/replanner');
    expect(config.daytona).toMatchObject({ target: 'eu', apiKey: 'dtn-live-key-0123' });
    // The new key is redacted from now on.
    expect(harness.server.context.redactor.text('key dtn-live-key-0123')).not.toContain('dtn-live-key-0123');

    // And the models: the next turn's planner call goes to the new model.
    script(harness, [{ model: 'replanner', reply: 'Answered by the new planner.' }]);
    const created = await api(harness, 'POST', '/api/v1/sessions', {});
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'hello', session_id: created.body?.id, client_message_id: 'm1' });
    await socket.untilTerminal();
    await socket.close();
    expect(socket.events().at(-1)?.kind).toBe('final');
    expect(harness.lm.requests.map((request) => request.model)).toContain('replanner');
    expect(harness.lm.requests.map((request) => request.model)).not.toContain('planner');
  });
});
