/**
 * A real HTTP server that answers language-model calls from a per-test script, so tests run the
 * real AI SDK provider code over HTTP. It speaks the OpenAI chat-completions API
 * (`POST /v1/chat/completions`, JSON or SSE with a final usage chunk when
 * `stream_options.include_usage` is set) and the Anthropic Messages API (`POST /v1/messages`,
 * JSON or SSE). Every request is recorded with its arrival and answer times, so tests can check
 * what was sent, how often, and whether calls overlapped.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  id: number;
  path: string;
  model: string;
  /** Content given as an array of parts is flattened to text; Anthropic's `system` comes first. */
  messages: Array<{ role: string; content: string }>;
  stream: boolean;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** performance.now() when the body had been read. */
  receivedAt: number;
  /** performance.now() when the answer (or error) was sent; unset while pending or on hang. */
  respondedAt?: number;
  bodyBytes: number;
}

export type ScriptReply =
  | string
  | {
      text?: string;
      status?: number;
      errorBody?: unknown;
      delayMs?: number;
      usage?: { input: number; output: number };
      /** OpenAI terms (`stop`, `length`); mapped to Anthropic's for `/v1/messages`. */
      finishReason?: string;
      /** Never answers; the request ends when the client aborts or the server closes. */
      hang?: boolean;
      /** Extra response headers, e.g. `retry-after-ms`. */
      headers?: Record<string, string>;
      /** OpenAI only: native tool calls (finish reason `tool_calls` unless given). */
      toolCalls?: Array<{ name: string; args: unknown; id?: string }>;
      /** Streaming only: pause between chunks, so a client sees tokens arrive over time. */
      chunkDelayMs?: number;
    };

export interface ScriptRule {
  model?: string;
  match?: (request: ScriptedRequest) => boolean;
  reply: ScriptReply | ((request: ScriptedRequest) => ScriptReply | Promise<ScriptReply>);
  /** How many requests this rule answers; unlimited when unset. */
  times?: number;
}

type Api = 'openai' | 'anthropic';
type Reply = Exclude<ScriptReply, string>;

const ROUTES: Record<string, Api> = { '/v1/chat/completions': 'openai', '/v1/messages': 'anthropic' };

export class ScriptedLmServer {
  readonly requests: ScriptedRequest[] = [];
  readonly unmatched: ScriptedRequest[] = [];
  private rules: Array<{ rule: ScriptRule; used: number }> = [];
  private nextId = 1;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<ScriptedLmServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const instance = new ScriptedLmServer(server, `http://127.0.0.1:${port}/v1`);
    server.on('request', (request, response) => {
      instance.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: { message: String(error) } });
        else response.destroy();
      });
    });
    return instance;
  }

  /** Replaces the rules and clears what was recorded. */
  script(rules: ScriptRule[]): void {
    this.rules = rules.map((rule) => ({ rule, used: 0 }));
    this.requests.length = 0;
    this.unmatched.length = 0;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hanging requests and keep-alive sockets would otherwise hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const api = ROUTES[path];
    let body: Record<string, unknown> = {};
    try {
      body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      // Kept as {}: the request is still recorded, and nothing will match a model of ''.
    }
    const recorded: ScriptedRequest = {
      id: this.nextId++,
      path,
      model: typeof body.model === 'string' ? body.model : '',
      messages: readMessages(body),
      stream: body.stream === true,
      body,
      headers: request.headers,
      receivedAt: performance.now(),
      bodyBytes: raw.length,
    };
    this.requests.push(recorded);
    const closed = new Promise<void>((resolve) => response.once('close', resolve));

    const entry = api ? this.rules.find(({ rule, used }) => fits(rule, used, recorded)) : undefined;
    if (!api || !entry) {
      this.unmatched.push(recorded);
      const reason = api ? `model '${recorded.model}', ${recorded.messages.length} messages` : `path ${path}`;
      const message = `scripted LM server: no scripted reply matched (${reason})`;
      recorded.respondedAt = performance.now();
      sendJson(response, api ? 500 : 404, errorBody(api ?? 'openai', message));
      return;
    }
    entry.used += 1;
    const scripted =
      typeof entry.rule.reply === 'function' ? await entry.rule.reply(recorded) : entry.rule.reply;
    const reply: Reply = typeof scripted === 'string' ? { text: scripted } : scripted;
    if (reply.hang) return closed;
    if (reply.delayMs) await sleep(reply.delayMs, closed);
    if (response.destroyed) return;

    const status = reply.status ?? 200;
    recorded.respondedAt = performance.now();
    if (status >= 400) {
      sendJson(response, status, reply.errorBody ?? errorBody(api, `scripted HTTP ${status}`), reply.headers);
      return;
    }
    const text = reply.text ?? '';
    const promptChars = recorded.messages.reduce((sum, message) => sum + message.content.length, 0);
    const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
      id: call.id ?? `call_${recorded.id}_${index}`,
      name: call.name,
      arguments: JSON.stringify(call.args ?? {}),
    }));
    const answer: Answer = {
      id: recorded.id,
      model: recorded.model,
      text,
      toolCalls,
      finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      input: reply.usage?.input ?? Math.ceil(promptChars / 4),
      output: reply.usage?.output ?? Math.ceil(text.length / 4),
    };
    const includeUsage = (body.stream_options as { include_usage?: boolean })?.include_usage === true;
    if (recorded.stream) {
      response.writeHead(status, { 'content-type': 'text/event-stream', ...reply.headers });
      const events = api === 'openai' ? openAiChunks(answer, includeUsage) : anthropicEvents(answer);
      if (!reply.chunkDelayMs) {
        response.end(events.join(''));
        return;
      }
      for (const event of events) {
        if (response.destroyed) return;
        response.write(event);
        await sleep(reply.chunkDelayMs, closed);
      }
      response.end();
    } else {
      const json = api === 'openai' ? openAiCompletion(answer) : anthropicMessage(answer);
      sendJson(response, status, json, reply.headers);
    }
  }
}

type Answer = {
  id: number;
  model: string;
  text: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: string;
  input: number;
  output: number;
};

function fits(rule: ScriptRule, used: number, request: ScriptedRequest): boolean {
  if (rule.times !== undefined && used >= rule.times) return false;
  if (rule.model !== undefined && rule.model !== request.model) return false;
  return rule.match ? rule.match(request) : true;
}

function readMessages(body: Record<string, unknown>): ScriptedRequest['messages'] {
  const messages: ScriptedRequest['messages'] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: flatten(body.system) });
  for (const message of Array.isArray(body.messages) ? body.messages : []) {
    const {
      role,
      content,
      tool_calls: toolCalls,
    } = message as { role?: unknown; content?: unknown; tool_calls?: unknown };
    // An assistant turn that only called tools is recorded as the calls, so tests can see them.
    const calls = Array.isArray(toolCalls)
      ? toolCalls.map((call) => {
          const fn = (call as { function?: { name?: string; arguments?: string } }).function;
          return `${fn?.name}(${fn?.arguments})`;
        })
      : [];
    messages.push({ role: String(role), content: [flatten(content), ...calls].filter(Boolean).join('\n') });
  }
  return messages;
}

function flatten(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (typeof part === 'string' ? part : ((part as { text?: unknown })?.text ?? '')))
    .filter((text): text is string => typeof text === 'string')
    .join('');
}

function openAiCompletion(answer: Answer) {
  return {
    id: `chatcmpl-scripted-${answer.id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text,
          ...(answer.toolCalls.length > 0
            ? {
                tool_calls: answer.toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function',
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        finish_reason: answer.finishReason,
      },
    ],
    usage: openAiUsage(answer),
  };
}

function openAiChunks(answer: Answer, includeUsage: boolean): string[] {
  const base = {
    id: `chatcmpl-scripted-${answer.id}`,
    object: 'chat.completion.chunk',
    created: 0,
    model: answer.model,
  };
  const choice = (delta: object, finishReason: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const chunks: object[] = [choice({ role: 'assistant', content: '' }, null)];
  for (const piece of pieces(answer.text)) chunks.push(choice({ content: piece }, null));
  answer.toolCalls.forEach((call, index) => {
    chunks.push(
      choice(
        {
          tool_calls: [
            { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
          ],
        },
        null,
      ),
      choice({ tool_calls: [{ index, function: { arguments: call.arguments } }] }, null),
    );
  });
  chunks.push(choice({}, answer.finishReason));
  if (includeUsage) chunks.push({ ...base, choices: [], usage: openAiUsage(answer) });
  return [...chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), 'data: [DONE]\n\n'];
}

function openAiUsage(answer: Answer) {
  return {
    prompt_tokens: answer.input,
    completion_tokens: answer.output,
    total_tokens: answer.input + answer.output,
  };
}

const ANTHROPIC_STOP: Record<string, string> = { stop: 'end_turn', length: 'max_tokens' };

function anthropicMessage(answer: Answer) {
  return {
    id: `msg_scripted_${answer.id}`,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: [{ type: 'text', text: answer.text }],
    stop_reason: ANTHROPIC_STOP[answer.finishReason] ?? answer.finishReason,
    stop_sequence: null,
    usage: { input_tokens: answer.input, output_tokens: answer.output },
  };
}

function anthropicEvents(answer: Answer): string[] {
  const { content: _content, stop_reason, usage, ...message } = anthropicMessage(answer);
  const events: object[] = [
    {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 0 } },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ...pieces(answer.text).map((text) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
    { type: 'message_stop' },
  ];
  return events.map(
    (event) => `event: ${(event as { type: string }).type}\ndata: ${JSON.stringify(event)}\n\n`,
  );
}

/** Word-sized pieces, so streaming clients see several deltas. */
function pieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

function errorBody(api: Api, message: string): unknown {
  if (api === 'anthropic') return { type: 'error', error: { type: 'api_error', message } };
  return { error: { message, type: 'scripted_error', code: null } };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(json);
}

/** Waits `ms`, or less when the client goes away first. */
function sleep(ms: number, cancelled: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void cancelled.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
