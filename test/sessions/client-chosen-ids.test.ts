/**
 * Sessions whose id the client chose (fleet-rlm (Python)'s Workbench makes a UUID in the browser
 * and sends it with the first message), on a real SQLite store: who gets the id when two ask for
 * it at once, and waiting for a session that does not exist yet.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { SandboxPool } from '../../src/sandbox/sandbox-pool.js';
import { isClientSessionId, SessionAccess } from '../../src/sessions/session-access.js';
import { SessionError } from '../../src/sessions/session-error.js';
import { SessionSandboxes } from '../../src/sessions/session-sandboxes.js';
import { openStore } from '../../src/store/open-store.js';
import type { Identity, Store } from '../../src/store/store.js';

const ALICE: Identity = { workspaceId: 'acme', userId: 'alice' };
const BOB: Identity = { workspaceId: 'acme', userId: 'bob' };

let store: Store;
let sessions: SessionAccess;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-sessions-'));
  store = await openStore(loadConfig({ FLEET_DATA_DIR: dataDir }));
  const pool = new SandboxPool({
    create: () => Promise.reject(new Error('no sandboxes in this test')),
    warm: 0,
    maxLive: 1,
    idleTimeoutMs: 60_000,
  });
  sessions = new SessionAccess({
    store,
    sandboxes: new SessionSandboxes(pool, { idleMs: 60_000, maxPerUser: 1 }),
    workspaceRoot: (workspaceId, sessionId) => join(dataDir, workspaceId, sessionId),
  });
});
afterAll(async () => {
  await store?.close();
});

const codeOf = (error: unknown) => (SessionError.isInstance(error) ? error.code : String(error));

describe('client-chosen session ids', () => {
  it('recognises a well-formed UUID only', () => {
    expect(isClientSessionId(randomUUID())).toBe(true);
    for (const id of ['', 'fleet-1700000000000-1', randomUUID().toUpperCase(), `${randomUUID()}x`, 42])
      expect(isClientSessionId(id)).toBe(false);
  });

  it('creates the session under the chosen id for the caller', async () => {
    const id = randomUUID();
    const session = await sessions.create(ALICE, { id });
    expect(session.id).toBe(id);
    expect((await sessions.open(ALICE, id)).identity).toEqual(ALICE);
  });

  it('answers an id someone else holds as session_not_found and leaves their session alone', async () => {
    const id = randomUUID();
    await sessions.create(ALICE, { id });
    const refused = await sessions.create(BOB, { id }).catch((error: unknown) => error);
    expect(codeOf(refused)).toBe('session_not_found');
    expect((refused as Error).message).toBe(`no session ${id}`);
    expect((await store.getSession(id))?.userId).toBe('alice');
  });

  it('refuses an id that is not a UUID like an unknown session', async () => {
    const refused = await sessions.create(ALICE, { id: 'my-own-id' }).catch((error: unknown) => error);
    expect(codeOf(refused)).toBe('session_not_found');
    expect(await store.getSession('my-own-id')).toBeUndefined();
  });

  it('gives one identity racing itself the one session twice', async () => {
    const id = randomUUID();
    const both = await Promise.all([sessions.create(ALICE, { id }), sessions.create(ALICE, { id })]);
    expect(both.map((session) => session.id)).toEqual([id, id]);
  });

  it('gives two identities racing for one id exactly one session; the loser gets session_not_found', async () => {
    for (let round = 0; round < 10; round++) {
      const id = randomUUID();
      const results = await Promise.allSettled([
        sessions.create(ALICE, { id }),
        sessions.create(BOB, { id }),
      ]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((result) => codeOf(result.reason))).toEqual(['session_not_found']);
      const owner = (await store.getSession(id))!.userId;
      expect((won[0] as PromiseFulfilledResult<{ row: { userId: string } }>).value.row.userId).toBe(owner);
    }
  });
});

describe('waiting for a session', () => {
  it('resolves when the caller creates it', async () => {
    const id = randomUUID();
    const waited = sessions.waitFor(ALICE, id, { timeoutMs: 10_000 });
    await new Promise((resolve) => setImmediate(resolve));
    await sessions.create(ALICE, { id });
    expect((await waited)?.id).toBe(id);
    expect(sessions.waiting).toBe(0);
  });

  it("never hands over someone else's session: it waits out the time like for an unknown id", async () => {
    const id = randomUUID();
    const waited = sessions.waitFor(BOB, id, { timeoutMs: 300 });
    await new Promise((resolve) => setImmediate(resolve));
    await sessions.create(ALICE, { id });
    expect(await waited).toBeUndefined();
    expect(sessions.waiting).toBe(0);
  });

  it('stops waiting when the caller gives up, leaving nothing registered', async () => {
    const controller = new AbortController();
    const waited = sessions.waitFor(ALICE, randomUUID(), { timeoutMs: 60_000, signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sessions.waiting).toBe(1);
    controller.abort();
    expect(await waited).toBeUndefined();
    expect(sessions.waiting).toBe(0);
  });

  it('does not wait for an id that can never be created', async () => {
    const waited = sessions.waitFor(ALICE, 'not-a-uuid', { timeoutMs: 60_000 });
    expect(sessions.waiting).toBe(0);
    expect(await waited).toBeUndefined();
  });

  it('finds an existing session at once', async () => {
    const session = await sessions.create(ALICE);
    expect((await sessions.waitFor(ALICE, session.id, { timeoutMs: 60_000 }))?.id).toBe(session.id);
  });
});
