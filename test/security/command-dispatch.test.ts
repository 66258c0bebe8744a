/**
 * Attack: `{"type":"command","command":"constructor"}` was looked up on a plain object, found
 * `Object`, called it with the server context and sent the result back: the JWT secret, the
 * model API key and the process environment in one `command_result`.
 *
 * Now only the commands the server defines are found; every inherited name is `unknown_command`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Harness, RecordingSocket, startHarness } from '../support/server-harness.js';

const SECRET = 'a-long-test-secret-for-the-command-test';
const API_KEY = 'sk-command-test-key-0123456789abcdef';
const INHERITED = [
  'constructor',
  '__proto__',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
];

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ DEV_JWT_SECRET: SECRET, DSPY_LLM_API_KEY: API_KEY });
});
afterAll(async () => {
  await harness?.close();
});

describe('command dispatch', () => {
  it('answers unknown_command for every name an object inherits, and leaks nothing', async () => {
    const session = (await api(harness, 'POST', '/api/v1/sessions', { title: 'mine' })).body!.id as string;
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    for (const command of INHERITED) socket.send({ type: 'command', command, session_id: session });
    await socket.until(() => socket.frames.length >= INHERITED.length);
    const answers = socket.frames.map((frame) => [
      frame.type,
      frame.code,
      (frame.details as { command?: string } | undefined)?.command,
    ]);
    expect(answers).toEqual(INHERITED.map((command) => ['error', 'unknown_command', command]));
    const wire = JSON.stringify(socket.frames);
    for (const secret of [SECRET, API_KEY, harness.dataDir]) expect(wire).not.toContain(secret);
    // The answer names the real commands, so a client learns what it may send.
    expect(socket.errors()[0]!.message).toContain('list_documents');
    await socket.close();
  });

  it('still runs the real commands', async () => {
    const session = (await api(harness, 'POST', '/api/v1/sessions', { title: 'mine' })).body!.id as string;
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'command', command: 'list_documents', session_id: session });
    await socket.until(() => socket.frames.length >= 1);
    expect(socket.frames[0]).toMatchObject({ type: 'command_result', result: { documents: [] } });
    await socket.close();
  });
});
