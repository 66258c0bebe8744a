/** The HTTP API against a real server: sessions, turns, documents, health, OpenAPI, request ids. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

describe('HTTP API', () => {
  it('answers /health and /ready, and echoes or creates an X-Request-ID', async () => {
    const health = await api(harness, 'GET', '/health', undefined, { 'x-request-id': 'req-123' });
    expect(health.body).toEqual({ ok: true, version: 'test' });
    expect(health.headers.get('x-request-id')).toBe('req-123');
    const ready = await api(harness, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      ready: true,
      planner_configured: true,
      planner: 'ready',
      database: 'ready',
      database_required: false,
      sandbox_provider: 'process',
      draining: false,
      reasons: [],
      warnings: [],
    });
    const generated = await api(harness, 'GET', '/health', undefined, {
      'x-request-id': 'bad id with spaces',
    });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI description generated from the schemas, and a docs page', async () => {
    const openapi = await api(harness, 'GET', '/openapi.json');
    expect(openapi.status).toBe(200);
    const paths = Object.keys(openapi.body!.paths);
    for (const path of [
      '/api/v1/sessions',
      '/api/v1/sessions/{id}',
      '/api/v1/sessions/{id}/turns',
      '/api/v1/sessions/{id}/documents',
      '/api/v1/auth/me',
      '/health',
      '/ready',
    ]) {
      expect(paths).toContain(path);
    }
    const session =
      openapi.body!.paths['/api/v1/sessions'].post.responses['201'].content['application/json'].schema;
    expect(Object.keys(session.properties)).toContain('active_document_id');
    const docs = await fetch(`${harness.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('creates, reads, searches, pages and archives sessions', async () => {
    const titles = ['alpha report', 'beta notes', 'gamma report'];
    const ids: string[] = [];
    for (const title of titles) {
      const created = await api(harness, 'POST', '/api/v1/sessions', { title });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        title,
        status: 'active',
        workspace_id: 'default',
        user_id: 'anonymous',
        running_turn_id: null,
      });
      ids.push(created.body!.id);
    }
    expect((await api(harness, 'GET', `/api/v1/sessions/${ids[0]}`)).body!.title).toBe('alpha report');
    const search = await api(harness, 'GET', '/api/v1/sessions?query=REPORT');
    expect(search.body!.items.map((item: { title: string }) => item.title)).toEqual([
      'gamma report',
      'alpha report',
    ]);
    const first = await api(harness, 'GET', '/api/v1/sessions?limit=2');
    expect(first.body!.items).toHaveLength(2);
    expect(first.body!.next_cursor).toEqual(expect.any(String));
    const rest = await api(
      harness,
      'GET',
      `/api/v1/sessions?limit=50&cursor=${encodeURIComponent(first.body!.next_cursor)}`,
    );
    const seen = [...first.body!.items, ...rest.body!.items].map((item: { id: string }) => item.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect((await api(harness, 'DELETE', `/api/v1/sessions/${ids[1]}`)).status).toBe(204);
    const after = await api(harness, 'GET', '/api/v1/sessions?limit=100');
    expect(after.body!.items.map((item: { id: string }) => item.id)).not.toContain(ids[1]);
    const archived = await api(harness, 'GET', '/api/v1/sessions?limit=100&include_archived=true');
    expect(archived.body!.items.find((item: { id: string }) => item.id === ids[1])).toMatchObject({
      status: 'archived',
    });
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'hi', session_id: ids[1] });
    await socket.until(() => socket.errors().length > 0);
    expect(socket.errors()[0]!.code).toBe('session_archived');
    await socket.close();
  });

  it('gives clear errors: unknown session, bad query, unknown route', async () => {
    const missing = await api(harness, 'GET', '/api/v1/sessions/does-not-exist', undefined, {
      'x-request-id': 'r-404',
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      code: 'session_not_found',
      message: 'no session does-not-exist',
      detail: 'no session does-not-exist',
      request_id: 'r-404',
    });
    const bad = await api(harness, 'GET', '/api/v1/sessions?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_request' });
    const route = await api(harness, 'GET', '/api/v1/nowhere');
    expect(route.status).toBe(404);
    expect(route.body).toMatchObject({ code: 'not_found' });
  });

  it('adds documents by multipart upload, JSON text and URL; the newest is active; delete and activate', async () => {
    const id = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    const form = new FormData();
    form.append('file', new Blob(['line one\nline two\n'], { type: 'text/plain' }), 'log.txt');
    form.append('alias', 'mylog');
    const uploaded = await fetch(`${harness.url}/api/v1/sessions/${id}/documents`, {
      method: 'POST',
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const upload = (await uploaded.json()) as Record<string, unknown>;
    expect(upload).toMatchObject({
      alias: 'mylog',
      name: 'log.txt',
      source: 'upload',
      mime_type: 'text/plain',
      text_chars: 18,
      active: true,
    });
    const pasted = await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, {
      name: 'Meeting Notes.md',
      text: '# Notes\nship it',
    });
    expect(pasted.body).toMatchObject({ alias: 'meeting-notes', active: true });
    const listed = await api(harness, 'GET', `/api/v1/sessions/${id}/documents`);
    expect(
      listed.body!.items.map((item: { alias: string; active: boolean }) => [item.alias, item.active]),
    ).toEqual(
      expect.arrayContaining([
        ['mylog', false],
        ['meeting-notes', true],
      ]),
    );
    const activated = await api(harness, 'POST', `/api/v1/sessions/${id}/documents/${upload.id}/activate`);
    expect(activated.body).toMatchObject({ alias: 'mylog', active: true });
    expect((await api(harness, 'GET', `/api/v1/sessions/${id}`)).body!.active_document_id).toBe(upload.id);
    expect((await api(harness, 'DELETE', `/api/v1/sessions/${id}/documents/${upload.id}`)).status).toBe(204);
    expect((await api(harness, 'GET', `/api/v1/sessions/${id}`)).body!.active_document_id).toBe(
      pasted.body!.id,
    );

    const hits: string[] = [];
    const target = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.end('secret');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as AddressInfo;
    const blocked = await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, {
      url: `http://127.0.0.1:${port}/internal`,
    });
    expect(blocked.status).toBe(400);
    expect(blocked.body).toMatchObject({ code: 'document_blocked_address' });
    expect(hits).toEqual([]);
    target.close();
    const empty = await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, {
      name: 'e.txt',
      text: '   ',
    });
    expect(empty.status).toBe(422);
    const neither = await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, { nothing: true });
    expect(neither.status).toBe(400);
  });

  it('lists turns with status, usage and timings', async () => {
    const id = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    script(harness, [{ model: PLANNER, reply: { text: 'Hello there.', usage: { input: 30, output: 4 } } }]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'hi', session_id: id, execution_mode: 'tools_only' });
    await socket.untilTerminal();
    await socket.close();
    const turns = await api(harness, 'GET', `/api/v1/sessions/${id}/turns`);
    expect(turns.body!.items).toEqual([
      expect.objectContaining({
        index: 1,
        user_message: 'hi',
        assistant_message: 'Hello there.',
        execution_mode: 'tools_only',
        status: 'completed',
        usage: { input_tokens: 30, output_tokens: 4, total_tokens: 34, cost_usd: 0 },
        duration_ms: expect.any(Number),
      }),
    ]);
    expect((await api(harness, 'GET', `/api/v1/sessions/${id}`)).body!.title).toBe('hi');
  });
});
