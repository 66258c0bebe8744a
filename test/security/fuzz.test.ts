/**
 * Fuzz: well over a thousand malformed inputs against the real server — WebSocket frames, HTTP
 * requests and events-socket handshakes, generated from a fixed seed. Every one must be refused
 * with a clear error (a frame-level `error` envelope on the socket, a 4xx JSON body over HTTP,
 * never a 5xx), the server must stay healthy throughout, and another user's session must come
 * out untouched: same session, same replay log, and it still answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, type Harness, PLANNER, RecordingSocket, script } from '../support/server-harness.js';
import { bearer, JWT_SECRET, securedHarness } from './support/identities.js';

const SEED = 0x5eed_f1ee;
const MAX_FRAME_BYTES = 64 * 1024;

/** mulberry32: small, fast and deterministic, so a failure names the input that caused it. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof prng>;

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '../../etc/passwd',
  '%2e%2e%2f',
  '__proto__',
  'constructor',
  'prototype',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, on purpose
  '${jndi:ldap://x}',
  "'; drop table sessions; --",
  '\ud800',
  '🙂'.repeat(50),
  'a'.repeat(5000),
  '<script>alert(1)</script>',
  'null',
  '-1',
] as const;

function randomValue(random: Random, depth = 0): unknown {
  switch (random.int(depth > 3 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return random.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), Number.MAX_SAFE_INTEGER, 1e308]);
    case 3:
      return random.pick(NASTY_STRINGS);
    case 4:
      return Array.from({ length: random.int(3) }, () => random.pick(NASTY_STRINGS));
    case 5:
      return Array.from({ length: random.int(4) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: random.int(4) }, () => [
          random.pick(NASTY_STRINGS),
          randomValue(random, depth + 1),
        ]),
      );
  }
}

/** One client frame that must be refused, as the text (or bytes) to send. */
function malformedFrame(random: Random, victimSession: string): string | Buffer {
  const garbage = () => randomValue(random);
  switch (random.int(12)) {
    case 0: // not JSON at all
      return random.pick([
        '{',
        '}{',
        'undefined',
        "{'type': 'message'}",
        '\u0000\u0001',
        '[1,2',
        'NaN',
        '{"a":1}{"b":2}',
      ]);
    case 1: // JSON, but not a frame
      return JSON.stringify(random.pick([null, 42, 'message', [], [{ type: 'message' }], true]));
    case 2: // unknown or missing type
      return JSON.stringify({
        type: random.pick(['', 'MESSAGE', 'exec', 'constructor', '__proto__', 7, null]),
        content: 'x',
      });
    case 3: // message with a broken field
      return JSON.stringify({
        type: 'message',
        ...random.pick([
          { content: '' },
          { content: '   ' },
          { content: garbage() === null ? 5 : ['x'] },
          { content: 'x', session_id: random.pick([5, ['a', 'b'], {}, '', null]) },
          { content: 'x', execution_mode: random.pick(['fast', '', 'AUTO', 3]) },
          { content: 'x', documents: random.pick(['doc', [1], [''], {}, Array(51).fill('d')]) },
          { content: 'x', client_message_id: 'c'.repeat(201) },
        ]),
      });
    case 4: // someone else's session
      return JSON.stringify({ type: 'message', content: 'let me in', session_id: victimSession });
    case 5: // commands nobody defined, prototype names first
      return JSON.stringify({
        type: 'command',
        command: random.pick([
          'constructor',
          '__proto__',
          'toString',
          'hasOwnProperty',
          'valueOf',
          'eval',
          'x'.repeat(300),
        ]),
        args: garbage(),
        session_id: victimSession,
      });
    case 6: // a real command on someone else's session, or with bad arguments and no session
      return JSON.stringify({
        type: 'command',
        command: random.pick([
          'list_documents',
          'get_core_memory',
          'edit_core_memory',
          'reset_sandbox',
          'load_document',
        ]),
        ...random.pick([{ session_id: victimSession, args: {} }, { args: garbage() }]),
      });
    case 7: // resume: someone else's session or a bad position
      return JSON.stringify({
        type: 'resume',
        ...random.pick([
          { session_id: victimSession, since_seq: 0 },
          { session_id: 'nope', since_seq: -1 },
          { session_id: victimSession, since_seq: '0' },
          { session_id: ['a'], since_seq: 0 },
          { since_seq: 1.5 },
        ]),
      });
    case 8: // cancel: someone else's session, or a wrong type
      return JSON.stringify({
        type: 'cancel',
        session_id: random.pick([victimSession, 5, ['x'], 'missing']),
      });
    case 9: // binary frame
      return Buffer.from(JSON.stringify({ type: 'cancel' }));
    case 10: // too large
      return JSON.stringify({ type: 'message', content: 'y'.repeat(MAX_FRAME_BYTES + random.int(1000)) });
    default: // deep nesting
      return `${'{"a":'.repeat(500)}1${'}'.repeat(500)}`;
  }
}

interface HttpCase {
  method: string;
  path: string;
  body?: string | Buffer;
  headers: Record<string, string>;
}

function malformedRequest(
  random: Random,
  auth: Record<string, string>,
  victimSession: string,
  victimDocument: string,
): HttpCase {
  const json = { 'content-type': 'application/json', ...auth };
  const id = random.pick([
    victimSession,
    '%00',
    '..%2f..%2fetc',
    'x'.repeat(500),
    '%F0%9F%99%82',
    '__proto__',
    '%2561',
  ]);
  switch (random.int(10)) {
    case 0: // someone else's resources, every route
      return random.pick([
        { method: 'GET', path: `/api/v1/sessions/${victimSession}`, headers: auth },
        { method: 'GET', path: `/api/v1/sessions/${victimSession}/turns`, headers: auth },
        { method: 'GET', path: `/api/v1/sessions/${victimSession}/traces`, headers: auth },
        { method: 'GET', path: `/api/v1/sessions/${victimSession}/documents`, headers: auth },
        { method: 'DELETE', path: `/api/v1/sessions/${victimSession}`, headers: auth },
        {
          method: 'DELETE',
          path: `/api/v1/sessions/${victimSession}/documents/${victimDocument}`,
          headers: auth,
        },
        {
          method: 'POST',
          path: `/api/v1/sessions/${victimSession}/documents/${victimDocument}/activate`,
          headers: auth,
        },
        {
          method: 'POST',
          path: `/api/v1/sessions/${victimSession}/documents`,
          body: JSON.stringify({ name: 'x.txt', text: 'planted' }),
          headers: json,
        },
      ]);
    case 1: // odd ids in paths
      return { method: random.pick(['GET', 'DELETE']), path: `/api/v1/sessions/${id}`, headers: auth };
    case 2: // bodies that are not JSON, or not the right JSON
      return {
        method: 'POST',
        path: random.pick([
          '/api/v1/sessions',
          '/api/v1/traces/feedback',
          `/api/v1/sessions/${id}/documents`,
        ]),
        body: random.pick([
          '{',
          '[]',
          'null',
          '"text"',
          '{"__proto__":{"admin":true}}',
          JSON.stringify(randomValue(random)),
        ]),
        headers: json,
      };
    case 3: // content types the route does not take
      return {
        method: 'POST',
        path: '/api/v1/sessions',
        body: '<xml/>',
        headers: {
          ...auth,
          'content-type': random.pick([
            'application/xml',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=zz',
          ]),
        },
      };
    case 4: // query strings: repeats, negatives, garbage cursors
      return {
        method: 'GET',
        path: `/api/v1/sessions?${random.pick(['limit=1&limit=2', 'limit=-5', 'limit=abc', 'cursor=%ff%fe', 'cursor=eyJ4IjoxfQ', 'query=a&query=b', 'include_archived=maybe', `query=${'q'.repeat(3000)}`])}`,
        headers: auth,
      };
    case 5: // broken credentials
      return {
        method: 'GET',
        path: '/api/v1/sessions',
        headers: {
          authorization: random.pick([
            'Bearer',
            'Bearer ',
            'Basic YTpi',
            `Bearer ${'x'.repeat(8000)}`,
            'bearer a.b.c',
            'Bearer e30.e30.',
          ]),
        },
      };
    case 6: // methods a route does not have
      return {
        method: random.pick(['PUT', 'PATCH']),
        path: random.pick(['/api/v1/sessions', `/api/v1/sessions/${victimSession}/turns`]),
        headers: auth,
      };
    case 7: // feedback with wrong shapes
      return {
        method: 'POST',
        path: '/api/v1/traces/feedback',
        body: JSON.stringify(
          random.pick([
            {},
            { is_correct: 'yes' },
            { turn_id: 5, is_correct: true },
            { trace_id: ['a'], is_correct: true },
          ]),
        ),
        headers: json,
      };
    case 8: // multipart garbage
      return {
        method: 'POST',
        path: `/api/v1/sessions/${id}/documents`,
        body: Buffer.from(
          `--zz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n${'z'.repeat(random.int(100))}`,
        ),
        headers: { ...auth, 'content-type': 'multipart/form-data; boundary=zz' },
      };
    default: // unknown routes and traversal; API paths with encoded letters and no token
      return random.next() < 0.5
        ? {
            method: 'GET',
            path: random.pick([
              '/api/v2/sessions',
              '/api/v1/sessions/%2e%2e',
              '/api/v1/traces/',
              '/api/v1/runtime/../../etc',
            ]),
            headers: random.next() < 0.5 ? auth : {},
          }
        : {
            method: random.pick(['GET', 'PATCH']),
            path: random.pick(['/%61pi/v1/sessions', '/api/%761/runtime/settings', '/%61%70%69/v1/auth/me']),
            headers: {},
          };
  }
}

/** Sends one frame and waits for the error envelope that must answer it. */
async function refused(socket: RecordingSocket, frame: string | Buffer): Promise<{ code: string }> {
  const before = socket.errors().length;
  socket.socket.send(frame);
  await socket.until(() => socket.errors().length > before || socket.closed !== undefined, 10_000);
  expect(socket.closed, `the socket closed after ${String(frame).slice(0, 200)}`).toBeUndefined();
  return socket.errors()[before]!;
}

let harness: Harness;
let victim: Record<string, string>;
let attacker: Record<string, string>;
let victimSession: string;
let victimDocument: string;

beforeAll(async () => {
  harness = await securedHarness({
    WS_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES),
    WS_MAX_FRAMES_PER_SECOND: '100000',
    FLEET_UPLOAD_MAX_BYTES: String(256 * 1024),
    // The victim's session on the attacker's events socket is waited for like an id not created
    // yet, then refused; a short wait keeps the hundred handshakes quick.
    EVENTS_SESSION_WAIT: '0.2',
  });
  victim = await bearer('acme', 'victim');
  attacker = await bearer('acme', 'mallory');
  victimSession = (await api(harness, 'POST', '/api/v1/sessions', { title: 'mine' }, victim)).body!.id;
  victimDocument = (
    await api(
      harness,
      'POST',
      `/api/v1/sessions/${victimSession}/documents`,
      { name: 'n.txt', text: 'private' },
      victim,
    )
  ).body!.id;
  script(harness, [{ model: PLANNER, reply: 'victim answer' }]);
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, victim);
  socket.send({ type: 'message', content: 'hello', session_id: victimSession });
  await socket.untilTerminal();
  await socket.close();
});
afterAll(async () => {
  await harness?.close();
});

describe('fuzz', () => {
  it('refuses 1,300 malformed frames, requests and handshakes clearly, stays healthy, and leaves other users untouched', async () => {
    const random = prng(SEED);
    const snapshot = async () => ({
      session: (await api(harness, 'GET', `/api/v1/sessions/${victimSession}`, undefined, victim)).body,
      documents: (await api(harness, 'GET', `/api/v1/sessions/${victimSession}/documents`, undefined, victim))
        .body,
      turns: (await api(harness, 'GET', `/api/v1/sessions/${victimSession}/turns`, undefined, victim)).body,
    });
    const before = await snapshot();
    const heapBefore = process.memoryUsage().heapUsed;
    let count = 0;

    // 1. WebSocket frames: each one gets an error envelope and the connection stays usable.
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, attacker);
    const codes = new Map<string, number>();
    for (let index = 0; index < 600; index++, count++) {
      const frame = malformedFrame(random, victimSession);
      const error = await refused(socket, frame);
      expect(error.code, `frame ${index}: ${String(frame).slice(0, 200)}`).toMatch(/^[a-z_]+$/);
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      if (index % 100 === 99) expect((await api(harness, 'GET', '/health')).status).toBe(200);
    }
    // No frame reached another user's session, and none of them leaked the server context.
    expect(socket.frames.some((frame) => frame.type === 'command_result' || frame.type === 'event')).toBe(
      false,
    );
    expect(JSON.stringify(socket.frames)).not.toContain(JWT_SECRET);
    expect([...codes.keys()]).toEqual(
      expect.arrayContaining([
        'invalid_json',
        'invalid_frame',
        'session_not_found',
        'unknown_command',
        'binary_frame',
        'frame_too_large',
      ]),
    );
    await socket.close();

    // 2. HTTP: a 4xx JSON error for every request, never a 5xx.
    for (let index = 0; index < 600; index++, count++) {
      const request = malformedRequest(random, attacker, victimSession, victimDocument);
      const response = await fetch(`${harness.url}${request.path}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
      });
      const text = await response.text();
      const what = `${request.method} ${request.path.slice(0, 120)} -> ${response.status} ${text.slice(0, 200)}`;
      expect(response.status, what).toBeGreaterThanOrEqual(400);
      expect(response.status, what).toBeLessThan(500);
      expect(JSON.parse(text).code, what).toMatch(/^[a-z_]+$/);
      expect(text).not.toContain('private');
    }

    // 3. Events-socket handshakes with bad queries: an error envelope, then 1008.
    for (let index = 0; index < 100; index++, count++) {
      const query = random.pick([
        '',
        'session_id=',
        `session_id=${victimSession}`,
        `session_id=a&session_id=b`,
        `session_id=${victimSession}&since_seq=-1`,
        'since_seq=abc&session_id=x',
        `session_id=${'s'.repeat(400)}`,
      ]);
      const events = await RecordingSocket.open(
        `${harness.wsUrl}/api/v1/ws/execution/events?${query}`,
        attacker,
      );
      await events.until(() => events.closed !== undefined, 10_000);
      expect(events.closed?.code, query).toBe(1008);
      expect(['invalid_frame', 'session_not_found']).toContain(events.errors()[0]?.code);
    }
    expect(count).toBeGreaterThanOrEqual(1000);

    // The server is healthy and its heap did not balloon.
    expect((await api(harness, 'GET', '/health')).status).toBe(200);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(300 * 2 ** 20);

    // The victim's session is exactly as it was, and still answers.
    expect(await snapshot()).toEqual(before);
    const again = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, victim);
    again.send({ type: 'resume', session_id: victimSession, since_seq: 0 });
    again.send({ type: 'message', content: 'still there?', session_id: victimSession });
    await again.untilTerminal(2);
    expect(
      again
        .events()
        .filter((event) => event.kind === 'final')
        .map((event) => event.text),
    ).toEqual(['victim answer', 'victim answer']);
    await again.close();
  }, 180_000);

  it('survives a raw socket that sends half a frame and vanishes', async () => {
    const raw = new WebSocket(`${harness.wsUrl}/api/v1/ws/execution`, { headers: attacker });
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    raw.terminate();
    expect((await api(harness, 'GET', '/health')).status).toBe(200);
  });
});
