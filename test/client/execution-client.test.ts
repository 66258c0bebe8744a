/**
 * The execution client against a real server over real sockets: a whole turn arrives in seq
 * order; connections cut mid-turn (from either side) are restored and resumed with every frame
 * exactly once and one turn only; invalid frames never leave; commands are answered; bad server
 * frames are reported, not thrown; a server that stays away ends in a clear error; auth works.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ClientError } from '../../src/client/client-error.js';
import { ExecutionClient } from '../../src/client/execution-client.js';
import { FleetHttpClient } from '../../src/client/http-client.js';
import type { ChatEvent, EventKind } from '../../src/contract/chat-events.js';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { type LiveServer, startLiveServer } from './live-server.js';

const FAST_RECONNECT = { initialDelayMs: 20, maxDelayMs: 200 };

let live: LiveServer;
let http: FleetHttpClient;

beforeAll(async () => {
  live = await startLiveServer();
  http = new FleetHttpClient({ url: live.url });
});

afterAll(async () => {
  await live?.close();
});

/** Collects a session's events until the turn's terminal frame. */
function collect(client: ExecutionClient) {
  const events: ChatEvent[] = [];
  const terminal = new Promise<ChatEvent>((resolve) => {
    client.on('event', (event) => {
      events.push(event);
      if (['final', 'cancelled', 'error'].includes(event.kind)) resolve(event);
    });
  });
  return { events, terminal };
}

function until(test: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (test()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error('timed out'));
      }
    }, 5);
  });
}

const range = (n: number) => Array.from({ length: n }, (_, index) => index + 1);
const kinds = (events: ChatEvent[]): EventKind[] => [...new Set(events.map((event) => event.kind))];

describe('ExecutionClient', () => {
  it('receives a whole turn with a tool call in seq order', async () => {
    live.lm.script([
      {
        model: 'planner',
        times: 1,
        reply: { text: 'Let me look.', toolCalls: [{ name: 'list_documents', args: {} }] },
      },
      { model: 'planner', reply: 'There are no documents yet.' },
    ]);
    const session = await http.createSession('seq order');
    const client = await ExecutionClient.connect({ url: live.url, sessionId: session.id });
    const { events, terminal } = collect(client);
    client.send({ type: 'message', content: 'What is loaded?', session_id: session.id });
    const final = await terminal;
    await client.close();

    expect(final.kind).toBe('final');
    expect(final.text).toBe('There are no documents yet.');
    expect(events.map((event) => event.seq)).toEqual(range(events.length));
    expect(new Set(events.map((event) => event.turn_id)).size).toBe(1);
    expect(kinds(events)).toEqual([
      'status',
      'assistant_token',
      'reasoning_step',
      'tool_call',
      'tool_result',
      'final',
    ]);
    expect(client.lastSeq(session.id)).toBe(events.length);
  });

  it('reconnects after the server cuts the socket mid-turn and resumes without loss or repeats', async () => {
    const words = Array.from({ length: 40 }, (_, index) => `w${index}`).join(' ');
    live.lm.script([{ model: 'planner', reply: { text: words, chunkDelayMs: 15 } }]);
    const session = await http.createSession('server drop');
    const client = await ExecutionClient.connect({
      url: live.url,
      sessionId: session.id,
      reconnect: FAST_RECONNECT,
    });
    const reconnects: number[] = [];
    client.on('reconnected', ({ attempt }) => reconnects.push(attempt));
    const { events, terminal } = collect(client);
    client.send({ type: 'message', content: 'stream please', session_id: session.id });

    await until(() => events.filter((event) => event.kind === 'assistant_token').length >= 5);
    expect(live.dropSockets()).toBe(1);
    await until(() => reconnects.length === 1);
    await until(() => events.filter((event) => event.kind === 'assistant_token').length >= 20);
    client.dropConnection(); // and once more from our side
    const final = await terminal;
    await client.close();

    expect(reconnects).toHaveLength(2);
    expect(final.kind).toBe('final');
    expect(events.map((event) => event.seq)).toEqual(range(events.length));
    const streamed = events
      .filter((event) => event.kind === 'assistant_token')
      .map((event) => event.text)
      .join('');
    expect(streamed).toBe(words);
    expect(await http.listTurns(session.id)).toHaveLength(1);
  });

  it('re-sends a message cut off before any answer without starting a second turn', async () => {
    live.lm.script([{ model: 'planner', reply: { text: 'only once', chunkDelayMs: 20 } }]);
    const session = await http.createSession('message drop');
    const client = await ExecutionClient.connect({
      url: live.url,
      sessionId: session.id,
      reconnect: FAST_RECONNECT,
    });
    const { events, terminal } = collect(client);
    client.send({
      type: 'message',
      content: 'answer me',
      session_id: session.id,
      client_message_id: 'm-1',
    });
    client.dropConnection(); // the frame may or may not have reached the server
    const final = await terminal;
    // A re-sent message attaches and replays its turn from the start: the overlap is dropped.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.close();

    expect(final.text).toBe('only once');
    expect(events.map((event) => event.seq)).toEqual(range(events.length));
    const turns = await http.listTurns(session.id);
    expect(turns.map((turn) => turn.client_message_id)).toEqual(['m-1']);
    expect(live.lm.requests.filter((request) => request.model === 'planner')).toHaveLength(1);
  });

  it('refuses invalid frames before sending and answers commands', async () => {
    live.lm.script([]);
    const session = await http.createSession('frames');
    const client = await ExecutionClient.connect({ url: live.url, sessionId: session.id });
    const errors: string[] = [];
    client.on('server_error', (error) => errors.push(error.code));

    const refused = (frame: unknown) => {
      try {
        client.send(frame as never);
      } catch (error) {
        return error;
      }
      throw new Error('sent an invalid frame');
    };
    const empty = refused({ type: 'message', content: '   ', session_id: session.id });
    expect(ClientError.isInstance(empty) && empty.reason).toBe('invalid_frame');
    expect((empty as Error).message).toContain('content is empty');
    expect((refused({ type: 'shout', text: 'hi' }) as Error).message).toContain('invalid frame');
    expect((refused({ type: 'resume', session_id: session.id, since_seq: -1 }) as Error).message).toContain(
      'since_seq',
    );

    await expect(client.runCommand('list_documents', {}, session.id)).resolves.toEqual({ documents: [] });
    const unknown = await client.runCommand('fly', {}, session.id).catch((error: unknown) => error);
    expect(unknown).toMatchObject({ reason: 'server_error', code: 'unknown_command' });
    await client.close();
    // The server saw no invalid frame: the only error is the unknown command's.
    expect(errors).toEqual(['unknown_command']);
    expect(live.lm.requests).toHaveLength(0);
  });

  it('reports malformed server frames and keeps going', async () => {
    const fake = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(fake, 'listening');
    fake.on('connection', (socket) =>
      socket.on('message', () => {
        socket.send('not json');
        socket.send(JSON.stringify({ type: 'event', data: { kind: 'gossip' } }));
        socket.send(JSON.stringify({ type: 'command_result', command: 'ping', result: 'pong' }));
      }),
    );
    const port = (fake.address() as AddressInfo).port;
    const client = await ExecutionClient.connect({ url: `http://127.0.0.1:${port}` });
    const malformed: string[] = [];
    client.on('malformed', (frame) => malformed.push(frame.problem));
    await expect(client.runCommand('ping')).resolves.toBe('pong');
    expect(malformed).toHaveLength(2);
    expect(malformed[0]).toContain('not JSON');
    expect(malformed[1]).toContain('data.kind');
    await client.close();
    await new Promise((resolve) => fake.close(resolve));
  });

  it('gives up with a clear error when the server stays away', async () => {
    const fake = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(fake, 'listening');
    const port = (fake.address() as AddressInfo).port;
    const client = await ExecutionClient.connect({
      url: `ws://127.0.0.1:${port}/api/v1/ws/execution`,
      reconnect: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const attempts: number[] = [];
    client.on('reconnecting', ({ attempt }) => attempts.push(attempt));
    const closed = once(client, 'closed');
    for (const socket of fake.clients) socket.terminate();
    await new Promise((resolve) => fake.close(resolve));
    const [error] = (await closed) as [ClientError];
    expect(attempts).toEqual([1, 2, 3]);
    expect(error.reason).toBe('reconnect_failed');
    expect(error.message).toMatch(
      /could not get it back after 3 attempt\(s\): cannot connect to ws:\/\/127\.0\.0\.1:\d+/,
    );
    expect(client.closed).toBe(true);
    expect(() => client.send({ type: 'cancel' })).toThrow(/closed/);
  });

  it('sends the bearer token, and says why the server refused without one', async () => {
    const secret = 'client-test-secret-0123456789abcdef0123';
    const guarded = await startLiveServer({ AUTH_REQUIRED: 'true', DEV_JWT_SECRET: secret });
    try {
      const refused = await ExecutionClient.connect({ url: guarded.url }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ reason: 'rejected', status: 401, code: 'auth_required' });
      expect((refused as Error).message).toMatch(/refused the WebSocket: HTTP 401 auth_required: /);
      const token = await mintDevToken(secret, { workspaceId: 'acme', userId: 'ada' });
      const session = await new FleetHttpClient({ url: guarded.url, token }).createSession();
      expect(session).toMatchObject({ workspace_id: 'acme', user_id: 'ada' });
      const client = await ExecutionClient.connect({ url: guarded.url, token, sessionId: session.id });
      await expect(client.runCommand('list_documents', {}, session.id)).resolves.toEqual({ documents: [] });
      await client.close();
    } finally {
      await guarded.close();
    }
  });
});
