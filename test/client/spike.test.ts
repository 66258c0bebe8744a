import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { it } from 'vitest';
import { loadConfig } from '/work/main/src/config/config.js';
import { startServer } from '/work/main/src/server/start-server.js';
import { ScriptedLmServer } from '/work/main/test/support/scripted-lm-server.js';

it('spike', async () => {
  const lm = await ScriptedLmServer.start();
  lm.script([
    { model: 'planner', times: 1, reply: { text: 'Let me check the docs.', toolCalls: [{ name: 'list_documents', args: {} }] } },
    { model: 'planner', reply: { text: 'There are no documents here.', chunkDelayMs: 5 } },
  ]);
  const server = await startServer(loadConfig({ FLEET_DATA_DIR: mkdtempSync(join(tmpdir(), 'sp-')), FLEET_PORT: '0', SANDBOX_PROVIDER: 'process', SANDBOX_WARM_POOL: '0', DSPY_LM_MODEL: 'openai/planner', DSPY_LM_API_BASE: lm.baseUrl, DSPY_LLM_API_KEY: 'k' }), { version: 'test', logger: false });
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/api/v1/ws/execution');
  await new Promise((r) => ws.once('open', r));
  const done = new Promise<void>((resolve) => ws.on('message', (d) => { const f = JSON.parse(String(d)); console.log(JSON.stringify(f).slice(0, 300)); if (f.type === 'event' && ['final','error','cancelled'].includes(f.data.kind)) resolve(); if (f.type === 'error') resolve(); }));
  ws.send(JSON.stringify({ type: 'message', content: 'hi', client_message_id: 'a1' }));
  await done;
  ws.close();
  await server.close(); await lm.close();
});
