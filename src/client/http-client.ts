/**
 * The few HTTP calls a terminal client needs next to the execution socket: create, read and
 * list sessions, list a session's turns, and add documents (JSON `{name, text}` or `{url}`, or a
 * file as multipart). Every response is parsed with the server's own zod schemas, so a change
 * of shape fails here, loudly, instead of deep inside a caller.
 */
import { z } from 'zod';
import {
  type addDocumentBody,
  documentList,
  documentSchema,
  errorBody,
  sessionPage,
  sessionSchema,
  turnList,
  type turnSchema,
} from '../contract/http-schemas.js';
import { ClientError } from './client-error.js';
import { httpBaseUrl } from './server-url.js';

export type Session = z.infer<typeof sessionSchema>;
export type Turn = z.infer<typeof turnSchema>;
export type SessionDocument = z.infer<typeof documentSchema>;
export type AddDocumentBody = z.infer<typeof addDocumentBody>;

const TIMEOUT_MS = 30_000;
const TURN_PAGE = 500;

export interface HttpClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  token?: string;
}

export class FleetHttpClient {
  readonly baseUrl: string;

  constructor(private readonly options: HttpClientOptions) {
    this.baseUrl = httpBaseUrl(options.url);
  }

  createSession(title?: string): Promise<Session> {
    return this.request('POST', '/api/v1/sessions', sessionSchema, title === undefined ? {} : { title });
  }

  getSession(id: string): Promise<Session> {
    return this.request('GET', `/api/v1/sessions/${encodeURIComponent(id)}`, sessionSchema);
  }

  listSessions(query: { query?: string; limit?: number; cursor?: string } = {}) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const suffix = search.size > 0 ? `?${search}` : '';
    return this.request('GET', `/api/v1/sessions${suffix}`, sessionPage);
  }

  /** Every turn of the session, oldest first. */
  async listTurns(sessionId: string): Promise<Turn[]> {
    const turns: Turn[] = [];
    for (;;) {
      const after = turns.at(-1)?.index;
      const search = `limit=${TURN_PAGE}${after === undefined ? '' : `&after_index=${after}`}`;
      const page = await this.request(
        'GET',
        `/api/v1/sessions/${encodeURIComponent(sessionId)}/turns?${search}`,
        turnList,
      );
      turns.push(...page.items);
      if (page.items.length < TURN_PAGE) return turns;
    }
  }

  async listDocuments(sessionId: string): Promise<SessionDocument[]> {
    const path = `/api/v1/sessions/${encodeURIComponent(sessionId)}/documents`;
    return (await this.request('GET', path, documentList)).items;
  }

  /** JSON `{name, text}` or `{url}`; the new document becomes the active one. */
  addDocument(sessionId: string, body: AddDocumentBody): Promise<SessionDocument> {
    const path = `/api/v1/sessions/${encodeURIComponent(sessionId)}/documents`;
    return this.request('POST', path, documentSchema, body);
  }

  /** A file of any supported type (PDF, DOCX, HTML, text), as multipart field `file`. */
  uploadFile(
    sessionId: string,
    file: { name: string; bytes: Uint8Array; mimeType?: string; alias?: string },
  ): Promise<SessionDocument> {
    const form = new FormData();
    form.append(
      'file',
      new Blob([file.bytes], { type: file.mimeType ?? 'application/octet-stream' }),
      file.name,
    );
    if (file.alias) form.append('alias', file.alias);
    const path = `/api/v1/sessions/${encodeURIComponent(sessionId)}/documents`;
    return this.request('POST', path, documentSchema, form);
  }

  private async request<T extends z.ZodType>(
    method: string,
    path: string,
    schema: T,
    body?: unknown,
  ): Promise<z.infer<T>> {
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const why = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new ClientError('connect_failed', `${method} ${url} failed: ${why}`, { cause: error });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const problem = errorBody.safeParse(json);
      const detail = problem.success ? `${problem.data.code}: ${problem.data.message}` : text.slice(0, 200);
      throw new ClientError('rejected', `${method} ${path}: HTTP ${response.status} ${detail}`, {
        status: response.status,
        code: problem.success ? problem.data.code : undefined,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ClientError(
        'invalid_response',
        `${method} ${path}: unexpected response: ${z.prettifyError(parsed.error)}`,
        { status: response.status },
      );
    }
    return parsed.data;
  }
}
