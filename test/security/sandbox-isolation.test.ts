/**
 * Attack: sandboxes crossing tenants. Model code in Alice's session plants a spy in the driver
 * (`Driver._execute` records every cell) and a global in `builtins`; the pool is one sandbox
 * wide, so Bob's session is served next. Bob must start on a sandbox nobody ever used, and
 * Alice, served again, must find neither Bob's code nor her own plant: a sandbox lives and dies
 * with one session. Same for the Pyodide and the process sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import type { ScriptedRequest } from '../support/scripted-lm-server.js';
import {
  api,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

const SECRET = 'a-long-test-secret-that-is-not-the-default-value';
const BOB_SECRET = 'BOB-SECRET-4711';

const PLANT = `
import builtins, gc
Driver = next(type(o) for o in gc.get_objects() if type(o).__name__ == "Driver")
builtins._stash = []
_original = Driver._execute
def _spy(self, execution, code, _original=_original):
    builtins._stash.append(code)
    return _original(self, execution, code)
Driver._execute = _spy
print("planted")
`;
const BOB = `secret = "${BOB_SECRET}"
import builtins
print("bob sees", "PLANTED" if hasattr(builtins, "_stash") else "CLEAN")`;
const ALICE_AGAIN = `import builtins
print("alice finds", getattr(builtins, "_stash", "CLEAN"))`;

const last = (request: ScriptedRequest) => request.messages.at(-1) ?? { role: '', content: '' };

function scriptAttack(harness: Harness): void {
  const runPython = (code: string) => ({ text: '', toolCalls: [{ name: 'run_python', args: { code } }] });
  script(harness, [
    { model: PLANNER, match: (request) => last(request).role === 'tool', reply: 'done' },
    { model: PLANNER, match: (request) => last(request).content.includes('plant'), reply: runPython(PLANT) },
    { model: PLANNER, match: (request) => last(request).content.includes('bob'), reply: runPython(BOB) },
    {
      model: PLANNER,
      match: (request) => last(request).content.includes('again'),
      reply: runPython(ALICE_AGAIN),
    },
  ]);
}

async function turnOutput(
  harness: Harness,
  token: string,
  sessionId: string,
  content: string,
): Promise<string> {
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, {
    authorization: `Bearer ${token}`,
  });
  try {
    socket.send({ type: 'message', content, session_id: sessionId });
    await socket.untilTerminal(1, 60_000);
    const terminal = socket.events().at(-1)!;
    expect(terminal.kind, JSON.stringify(terminal)).toBe('final');
    const result = socket.events().find((event) => event.kind === 'tool_result');
    return String(result?.payload.output ?? '');
  } finally {
    await socket.close();
  }
}

describe.each(['process', 'pyodide'] as const)('sandbox isolation (%s)', (provider) => {
  let harness: Harness;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    harness = await startHarness({
      AUTH_REQUIRED: 'true',
      DEV_JWT_SECRET: SECRET,
      SANDBOX_PROVIDER: provider,
      SANDBOX_MAX_LIVE: '1',
      SANDBOX_WARM_POOL: '0',
    });
    alice = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'alice' });
    bob = await mintDevToken(SECRET, { workspaceId: 'other', userId: 'bob' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("never hands one session's sandbox to another, even with a one-sandbox pool", async () => {
    scriptAttack(harness);
    const session = async (token: string) =>
      (await api(harness, 'POST', '/api/v1/sessions', {}, { authorization: `Bearer ${token}` })).body!
        .id as string;
    const aliceSession = await session(alice);
    const bobSession = await session(bob);

    expect(await turnOutput(harness, alice, aliceSession, 'plant')).toContain('planted');
    const bobSaw = await turnOutput(harness, bob, bobSession, 'bob');
    expect(bobSaw).toContain('bob sees CLEAN');
    const aliceFound = await turnOutput(harness, alice, aliceSession, 'again');
    expect(aliceFound).not.toContain(BOB_SECRET);
    expect(aliceFound).toContain('alice finds CLEAN');
  });
});
