/**
 * With AUTH_REQUIRED=true: every route and both sockets refuse missing, forged and expired
 * tokens, and nobody can read, resume or subscribe to someone else's session.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { api, type Harness, RecordingSocket, startHarness } from '../support/server-harness.js';

const SECRET = 'a-long-test-secret-that-is-not-the-default-value';
let harness: Harness;
let alice: string;
let bob: string;
let aliceSession: string;
let aliceDocument: string;

async function expired(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: 'acme', oid: 'alice' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now - 7200)
    .setExpirationTime(now - 3600)
    .sign(new TextEncoder().encode(SECRET));
}

beforeAll(async () => {
  // Another user's session on the events socket is waited for like an id not created yet (so the
  // two look alike); a short wait keeps that refusal quick here.
  harness = await startHarness({ AUTH_REQUIRED: 'true', DEV_JWT_SECRET: SECRET, EVENTS_SESSION_WAIT: '0.5' });
  alice = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'alice' });
  bob = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'bob' });
  const bearer = { authorization: `Bearer ${alice}` };
  aliceSession = (await api(harness, 'POST', '/api/v1/sessions', { title: 'private' }, bearer)).body!.id;
  aliceDocument = (
    await api(
      harness,
      'POST',
      `/api/v1/sessions/${aliceSession}/documents`,
      { name: 'a.txt', text: 'secret' },
      bearer,
    )
  ).body!.id;
});
afterAll(async () => {
  await harness?.close();
});

const routes = () => [
  ['GET', '/api/v1/auth/me'],
  ['GET', '/api/v1/sessions'],
  ['POST', '/api/v1/sessions'],
  ['GET', `/api/v1/sessions/${aliceSession}`],
  ['GET', `/api/v1/sessions/${aliceSession}/turns`],
  ['GET', `/api/v1/sessions/${aliceSession}/documents`],
  ['POST', `/api/v1/sessions/${aliceSession}/documents`],
  ['POST', `/api/v1/sessions/${aliceSession}/documents/${aliceDocument}/activate`],
  ['DELETE', `/api/v1/sessions/${aliceSession}/documents/${aliceDocument}`],
  ['DELETE', `/api/v1/sessions/${aliceSession}`],
];

describe('auth matrix', () => {
  it('refuses every API route without a token, with a forged one and with an expired one', async () => {
    const forged = `${alice.slice(0, -4)}AAAA`;
    const stale = await expired();
    for (const [method, path] of routes()) {
      const body = method === 'POST' ? {} : undefined;
      const none = await api(harness, method!, path!, body);
      expect([method, path, none.status, none.body!.code]).toEqual([method, path, 401, 'auth_required']);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      for (const token of [forged, stale, 'not-a-jwt']) {
        const bad = await api(harness, method!, path!, body, { authorization: `Bearer ${token}` });
        expect([method, path, bad.status, bad.body!.code]).toEqual([method, path, 401, 'auth_failed']);
        expect(JSON.stringify(bad.body)).not.toContain(token.length > 20 ? token.slice(-20) : token);
      }
    }
    expect((await api(harness, 'GET', '/health')).status).toBe(200);
    expect((await api(harness, 'GET', '/openapi.json')).status).toBe(200);
  });

  it("hides another user's session on every route", async () => {
    const asBob = { authorization: `Bearer ${bob}` };
    for (const [method, path] of routes().filter(([, path]) => path!.includes(aliceSession))) {
      const response = await api(
        harness,
        method!,
        path!,
        method === 'POST' ? { name: 'x.txt', text: 'x' } : undefined,
        asBob,
      );
      expect([method, path, response.status, response.body!.code]).toEqual([
        method,
        path,
        404,
        'session_not_found',
      ]);
    }
    const bobs = await api(harness, 'GET', '/api/v1/sessions', undefined, asBob);
    expect(bobs.body!.items).toEqual([]);
    const me = await api(harness, 'GET', '/api/v1/auth/me', undefined, asBob);
    expect(me.body).toEqual({ workspace_id: 'acme', user_id: 'bob', authenticated: true, is_admin: false });
    const still = await api(harness, 'GET', `/api/v1/sessions/${aliceSession}`, undefined, {
      authorization: `Bearer ${alice}`,
    });
    expect(still.status).toBe(200);
  });

  it('refuses both sockets without a valid token, and takes ?access_token= from browsers', async () => {
    for (const path of ['/api/v1/ws/execution', `/api/v1/ws/execution/events?session_id=${aliceSession}`]) {
      await expect(RecordingSocket.open(`${harness.wsUrl}${path}`)).rejects.toThrow('HTTP 401');
      const join = path.includes('?') ? '&' : '?';
      await expect(
        RecordingSocket.open(`${harness.wsUrl}${path}${join}access_token=${await expired()}`),
      ).rejects.toThrow('HTTP 401');
      const ok = await RecordingSocket.open(`${harness.wsUrl}${path}${join}access_token=${alice}`);
      expect(ok.closed).toBeUndefined();
      await ok.close();
    }
  });

  it("never lets one user resume, message, command or subscribe to another's session", async () => {
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, {
      authorization: `Bearer ${bob}`,
    });
    socket.send({ type: 'resume', session_id: aliceSession, since_seq: 0 });
    socket.send({ type: 'message', content: 'hi', session_id: aliceSession });
    socket.send({ type: 'command', command: 'list_documents', session_id: aliceSession });
    socket.send({ type: 'cancel', session_id: aliceSession });
    await socket.until(() => socket.errors().length >= 4);
    // cancel is handled at once, the others in order: compare as a set of codes.
    expect(
      socket
        .errors()
        .map((error) => error.code)
        .sort(),
    ).toEqual(['no_running_turn', 'session_not_found', 'session_not_found', 'session_not_found']);
    expect(socket.events()).toEqual([]);
    await socket.close();
    const passive = await RecordingSocket.open(
      `${harness.wsUrl}/api/v1/ws/execution/events?session_id=${aliceSession}&since_seq=0`,
      {
        authorization: `Bearer ${bob}`,
      },
    );
    await passive.until(() => passive.closed !== undefined);
    expect(passive.errors()[0]!.code).toBe('session_not_found');
    expect(passive.closed!.code).toBe(1008);
    expect(passive.passive()).toEqual([]);
  });
});
