/**
 * `fleet-rlm chat` as a script uses it: the CLI from source (tsx) in a child process with stdin
 * piped, talking to a real in-process server whose planner is a scripted OpenAI-compatible
 * server. Answers arrive in order with their tool calls; /session, /docs and /load work; server
 * errors are printed with their code and fail the exit status; Ctrl-C cancels a running turn.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatRenderer } from '../../src/cli/chat-renderer.js';
import { ChatRepl } from '../../src/cli/chat-repl.js';
import { chatStyle, colourEnabled } from '../../src/cli/chat-style.js';
import { ExecutionClient } from '../../src/client/execution-client.js';
import { FleetHttpClient } from '../../src/client/http-client.js';
import type { ChatEvent, EventKind } from '../../src/contract/chat-events.js';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { type LiveServer, startLiveServer } from '../client/live-server.js';
import { chatEventFixture, finalPayload, TEST_RUNTIME } from '../support/frame-fixtures.js';
import type { ScriptedRequest } from '../support/scripted-lm-server.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).href;
const ENTRY = `import(${JSON.stringify(MAIN)}).then((cli) => cli.main(['node', 'fleet-rlm', ...process.argv.slice(1)]))`;

interface Chat {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout (or stderr) matches. */
  waitFor: (pattern: RegExp, stream?: 'stdout' | 'stderr') => Promise<void>;
  exited: Promise<number | null>;
}

function startChat(args: string[], env: Record<string, string> = {}): Chat {
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-chat-'));
  const child = spawn(process.execPath, ['--import', TSX, '-e', ENTRY, 'chat', ...args], {
    cwd: workDir, // no stray .env
    env: { PATH: process.env.PATH ?? '', HOME: workDir, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  const waiters: Array<() => void> = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (text: string) => {
      output[stream] += text;
      for (const check of [...waiters]) check();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout') =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${pattern} in ${stream}:\n${output.stdout}\n---\n${output.stderr}`)),
        20_000,
      );
      const check = () => {
        if (!pattern.test(output[stream])) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      };
      waiters.push(check);
      check();
    });
  return { child, stdout: () => output.stdout, stderr: () => output.stderr, waitFor, exited };
}

async function runChat(args: string[], stdin: string, env: Record<string, string> = {}) {
  const chat = startChat(args, env);
  chat.child.stdin.end(stdin);
  const code = await chat.exited;
  return { code, stdout: chat.stdout(), stderr: chat.stderr() };
}

const lastMessage = (request: ScriptedRequest) => request.messages.at(-1) ?? { role: '', content: '' };

let live: LiveServer;
let http: FleetHttpClient;

beforeAll(async () => {
  live = await startLiveServer();
  http = new FleetHttpClient({ url: live.url });
});

afterAll(async () => {
  await live?.close();
});

describe('fleet-rlm chat', () => {
  it('answers piped messages in order, shows tool calls and /session, and exits 0', async () => {
    live.lm.script([
      {
        model: 'planner',
        match: (request) => lastMessage(request).role === 'tool',
        reply: 'Nothing is loaded yet.',
      },
      {
        model: 'planner',
        match: (request) => lastMessage(request).content === 'What is loaded?',
        reply: { text: 'Let me look.', toolCalls: [{ name: 'list_documents', args: {} }] },
      },
      { model: 'planner', reply: { text: 'Hi there, again.', chunkDelayMs: 5 } },
    ]);
    const run = await runChat(['--url', live.url], 'What is loaded?\n/session\nSay hi\n');
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const sessionId = /session ([\w-]+) · \/help/.exec(run.stderr)?.[1];
    expect(sessionId).toBeDefined();
    const expected = [
      '> What is loaded?',
      '· Turn started',
      'Let me look.',
      '→ list_documents',
      '← list_documents ok',
      'No documents yet.',
      'Nothing is loaded yet.',
      '✓ done · 2 steps',
      `session ${sessionId}`,
      '> Say hi',
      'Hi there, again.',
      '✓ done · 1 step',
    ];
    const positions = expected.map((text) => run.stdout.indexOf(text));
    expect(
      positions.every((position) => position >= 0),
      run.stdout,
    ).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const turns = await http.listTurns(sessionId!);
    expect(turns.map((turn) => [turn.user_message, turn.status])).toEqual([
      ['What is loaded?', 'completed'],
      ['Say hi', 'completed'],
    ]);
    expect(new Set(turns.map((turn) => turn.client_message_id)).size).toBe(2);
  });

  it('switches with /session ID, lists and loads documents', async () => {
    live.lm.script([]);
    const session = await http.createSession('docs');
    await http.addDocument(session.id, { name: 'notes.txt', text: 'alpha beta gamma', alias: 'notes' });
    const file = join(mkdtempSync(join(tmpdir(), 'fleet-chat-doc-')), 'report.md');
    writeFileSync(file, '# Report\n\nAll systems nominal.\n');
    const run = await runChat(
      ['--url', live.url],
      `/session ${session.id}\n/docs\n/load ${file}\n/load notes\n/load nope-not-there\n/mode rlm_only\n/session\n`,
    );
    expect(run.stdout.match(new RegExp(`session ${session.id}`, 'g'))).toHaveLength(2);
    expect(run.stdout).toMatch(/\* notes {2}notes\.txt {2}16 chars/);
    expect(run.stdout).toMatch(/loaded report \(report\.md, \d+ chars\); it is the active document/);
    expect(run.stdout).toContain('activated notes (notes.txt, 16 chars)');
    // Not a URL, not an alias, not a local file: the server looks in the session's workspace.
    expect(run.stderr).toMatch(/error: load_document: command_failed: .*workspace folder does not exist/);
    expect(run.stdout).toContain('mode rlm_only');
    expect(run.stdout).toContain(`session ${session.id}`);
    expect(run.code).toBe(0); // a failed command is not a failed turn
    expect((await http.listDocuments(session.id)).map((document) => document.alias).sort()).toEqual([
      'notes',
      'report',
    ]);
  });

  it('joins a turn already running in --session from its start, skipping finished turns', async () => {
    // Long enough (about 4 s) that the chat process is up before the turn ends.
    const words = Array.from({ length: 80 }, (_, index) => `v${index}`).join(' ');
    live.lm.script([
      { model: 'planner', times: 1, reply: 'An earlier answer.' },
      { model: 'planner', reply: { text: words, chunkDelayMs: 50 } },
    ]);
    const session = await http.createSession('resume');
    const other = await ExecutionClient.connect({ url: live.url, sessionId: session.id });
    const finals: ChatEvent[] = [];
    other.on('event', (event) => {
      if (event.kind === 'final') finals.push(event);
    });
    other.send({ type: 'message', content: 'first', session_id: session.id });
    await expect.poll(() => finals.length).toBe(1);
    other.send({ type: 'message', content: 'second', session_id: session.id });
    await expect.poll(async () => (await http.getSession(session.id)).running_turn_id).not.toBeNull();
    const run = await runChat(['--url', live.url, '--session', session.id], '');
    await other.close();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`resuming the running turn of session ${session.id}`);
    expect(run.stdout).toContain(words);
    expect(run.stdout).toContain('✓ done');
    expect(run.stdout).not.toContain('An earlier answer.');
  });

  it('cancels a turn even when Ctrl-C comes before the server has registered it', async () => {
    const words = Array.from({ length: 100 }, (_, index) => `x${index}`).join(' ');
    live.lm.script([{ model: 'planner', reply: { text: words, chunkDelayMs: 30 } }]);
    const session = await http.createSession('early cancel');
    const client = await ExecutionClient.connect({ url: live.url });
    const style = chatStyle(false);
    let out = '';
    let err = '';
    const input = new PassThrough();
    const repl: ChatRepl = new ChatRepl({
      client,
      http,
      renderer: new ChatRenderer({
        out: {
          write: (text: string) => {
            out += text;
            // The echo comes right before the message is sent: interrupt straight after it.
            if (text.includes('> go')) queueMicrotask(() => repl.interrupt());
          },
        },
        err: { write: (text: string) => (err += text) },
        style,
        errStyle: style,
      }),
      input,
      output: new PassThrough(),
      interactive: false,
      sessionId: session.id,
      mode: 'auto',
    });
    const exited = repl.run();
    input.end('go\n');
    expect(await exited).toBe(0);
    await client.close();
    expect(out).toContain('✗ Turn cancelled (cancelled by the user)');
    expect(out).not.toContain('x99');
    expect(err).not.toContain('nothing to cancel');
  });

  it('rides out a dropped connection mid-answer: every token once, then exit 0', async () => {
    const words = Array.from({ length: 60 }, (_, index) => `u${index}`).join(' ');
    live.lm.script([{ model: 'planner', reply: { text: words, chunkDelayMs: 20 } }]);
    const chat = startChat(['--url', live.url]);
    chat.child.stdin.end('stream it\n');
    await chat.waitFor(/u10 /);
    expect(live.dropSockets()).toBe(1);
    expect(await chat.exited).toBe(0);
    expect(chat.stderr()).toMatch(/connection lost; reconnecting in \d+ ms \(attempt 1\)/);
    expect(chat.stderr()).toContain('reconnected; resuming session');
    // Reconnect notes go to stderr, so stdout holds the answer exactly once, unbroken.
    expect(chat.stdout()).toContain(`${words}\n✓ done`);
  });

  it('prints a server error with its code and exits 1', async () => {
    const bare = await startLiveServer({ DSPY_LM_MODEL: '' });
    try {
      const run = await runChat(['--url', bare.url], 'hello\n');
      expect(run.stderr).toMatch(/error planner_missing: no planner model is configured/);
      expect(run.code).toBe(1);
    } finally {
      await bare.close();
    }
  });

  it('takes the token from FLEET_TOKEN, and says how to get one when it is missing', async () => {
    const secret = 'chat-test-secret-0123456789abcdef0123456';
    const guarded = await startLiveServer({ AUTH_REQUIRED: 'true', DEV_JWT_SECRET: secret });
    try {
      const refused = await runChat(['--url', guarded.url], '/session\n');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/HTTP 401 auth_required: .*pass --token or set FLEET_TOKEN/);
      const token = await mintDevToken(secret, { workspaceId: 'acme', userId: 'ada' });
      const run = await runChat(['--url', guarded.url], '/session\n', { FLEET_TOKEN: token });
      expect(run.code).toBe(0);
      const id = /session ([\w-]+)\n/.exec(run.stdout)?.[1];
      const session = await new FleetHttpClient({ url: guarded.url, token }).getSession(id!);
      expect(session).toMatchObject({ workspace_id: 'acme', user_id: 'ada' });
    } finally {
      await guarded.close();
    }
  });

  it('says clearly when no server is there', async () => {
    const run = await runChat(['--url', 'http://127.0.0.1:9'], 'hello\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot chat with http:\/\/127\.0\.0\.1:9: .*is `fleet-rlm serve` running there\?/,
    );
  });

  it('cancels the running turn on Ctrl-C, and quits on Ctrl-C when idle', async () => {
    const words = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');
    live.lm.script([{ model: 'planner', reply: { text: words, chunkDelayMs: 30 } }]);
    const chat = startChat(['--url', live.url]);
    chat.child.stdin.write('tell me a long story\n');
    await chat.waitFor(/w5 /);
    chat.child.kill('SIGINT');
    await chat.waitFor(/cancelling/, 'stderr');
    await chat.waitFor(/✗ Turn cancelled \(cancelled by the user\)/);
    expect(chat.stdout()).not.toContain('w299');
    // Idle now, with stdin still open: Ctrl-C leaves.
    chat.child.kill('SIGINT');
    expect(await chat.exited).toBe(0);
  });
});

describe('ChatRenderer', () => {
  let seq = 0;
  const event = <K extends EventKind>(
    kind: K,
    text: string,
    payload: Parameters<typeof chatEventFixture<K>>[2],
  ): ChatEvent => chatEventFixture(kind, text, payload, { seq: ++seq });
  const usage = { input_tokens: 1000, output_tokens: 200, total_tokens: 1200, cost_usd: 0 };
  const rlm = { ...TEST_RUNTIME, execution_profile: 'RLM_ROOT' as const };
  const render = (isTTY: boolean, events: ChatEvent[]) => {
    let out = '';
    let err = '';
    const style = chatStyle(colourEnabled({ isTTY }, undefined));
    const renderer = new ChatRenderer({
      out: { write: (text: string) => (out += text), isTTY, columns: 21 },
      err: { write: (text: string) => (err += text) },
      style,
      errStyle: style,
    });
    for (const item of events) renderer.event(item);
    return { out, err };
  };
  const thoughtTurn = [
    event('assistant_token', 'I should look ', { iteration: 1 }),
    event('assistant_token', 'at the documents first.', { iteration: 1 }),
    event('reasoning_step', 'I should look at the documents first.', {
      iteration: 1,
      tools: ['list_documents'],
    }),
    event('tool_call', 'list_documents', {
      call_id: 'c1',
      tool_name: 'list_documents',
      arguments: {},
      tool_input: {},
      tool_args: {},
      iteration: 1,
      step_id: 't:s2',
    }),
    event('assistant_token', 'None.', { iteration: 2 }),
    event('final', 'None.', { ...finalPayload('None.'), iterations: 2, usage, duration_ms: 1500 }),
  ];

  it('rewrites a streamed thought in place on a terminal, with colour', () => {
    const { out } = render(true, thoughtTurn);
    // 37 characters on a 21-column terminal took two rows: up one, clear, reprint.
    expect(out).toContain(
      'at the documents first.\r\x1b[1A\x1b[J\x1b[2mthought: I should look at the documents first.\x1b[22m\n',
    );
    expect(out).toContain(
      // Meta lines are cut to the terminal's width.
      '\x1b[2m→ list_documents\x1b[22m\nNone.\n\x1b[32m✓ done · 2 steps · …\x1b[39m\n',
    );
  });

  it('leaves streamed text alone in a pipe, and shows unstreamed thoughts and errors', () => {
    expect(render(false, thoughtTurn).out).toBe(
      'I should look at the documents first.\n→ list_documents\nNone.\n✓ done · 2 steps · 1,200 tokens · 1.5 s\n',
    );
    const { out, err } = render(false, [
      event('reasoning_step', 'Delegating.', { iteration: 1, tools: ['delegate_to_rlm'] }),
      event('rlm_executing', 'started', {
        call_id: 'c1',
        tool_name: 'delegate_to_rlm',
        run_id: 'r',
        parent_run_id: null,
        depth: 0,
        model: 'openai/delegate',
        question: 'Who?',
        runtime: rlm,
      }),
      event('status', 'a\nb', {
        phase: 'sandbox_output',
        stream_text: 'a\nb',
        stream: 'stdout',
        call_id: 'c1',
        run_id: 'r',
        depth: 0,
        iteration: 1,
        runtime: rlm,
      }),
      event('trajectory_step', 'found it', {
        call_id: 'c1',
        run_id: 'r',
        depth: 0,
        iteration: 1,
        reasoning: 'found it',
        code: ['print(1)'],
        output: ['1'],
        errors: [],
        submitted: true,
        llm_calls_used: 1,
        max_llm_calls: 50,
        duration_ms: 12,
        step_index: 0,
        step_data: {
          index: 0,
          thought: 'found it',
          action: 'submitted the answer',
          tool_name: 'repl',
          tool_input: 'print(1)',
          observation: '1',
        },
        runtime: rlm,
      }),
      event('error', 'the model timed out', { code: 'llm_timeout', trace_id: null, duration_ms: 30 }),
    ]);
    expect(out).toBe(
      [
        'thought: Delegating.',
        '  ⟳ RLM run at depth 0 (openai/delegate): Who?',
        '  │ a',
        '  │ b',
        '  ↳ iteration 1 · found it · 1 code block · submitted · 1/50 sub-calls',
        '',
      ].join('\n'),
    );
    expect(err).toBe('error llm_timeout: the model timed out\n');
  });

  it('honours NO_COLOR and non-terminals', () => {
    expect(colourEnabled({ isTTY: true }, undefined)).toBe(true);
    expect(colourEnabled({ isTTY: true }, '1')).toBe(false);
    expect(colourEnabled({ isTTY: false }, undefined)).toBe(false);
  });
});
