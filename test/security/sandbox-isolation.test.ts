/**
 * Attack: sandboxes crossing tenants. Model code in Alice's session plants a spy in the driver
 * (`Driver._execute` records every cell) and a global in `builtins`; the pool is one sandbox
 * wide, so Bob's session is served next. Bob must start on a sandbox nobody ever used, and
 * Alice, served again, must find neither Bob's code nor her own plant: a sandbox lives and dies
 * with one session. Same for the Pyodide and the process sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Harness, PLANNER, RecordingSocket, script } from '../support/server-harness.js';
import { bearer, lastMessage as last, runPython, securedHarness } from './support/identities.js';

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

function scriptAttack(harness: Harness): void {
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
  who: Record<string, string>,
  sessionId: string,
  content: string,
): Promise<string> {
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, who);
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
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  beforeAll(async () => {
    harness = await securedHarness({
      SANDBOX_PROVIDER: provider,
      SANDBOX_MAX_LIVE: '1',
      SANDBOX_WARM_POOL: '0',
    });
    alice = await bearer('acme', 'alice');
    bob = await bearer('other', 'bob');
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("never hands one session's sandbox to another, even with a one-sandbox pool", async () => {
    scriptAttack(harness);
    const session = async (who: Record<string, string>) =>
      (await api(harness, 'POST', '/api/v1/sessions', {}, who)).body!.id as string;
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
