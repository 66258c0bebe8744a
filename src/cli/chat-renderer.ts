/**
 * How `fleet-rlm chat` shows a turn: the answer streams as plain text token by token; tool
 * calls, results, RLM runs, trajectory steps, sandbox output and status go on their own short
 * dim lines (RLM lines indented by depth); errors go to stderr with their code.
 *
 * Thoughts: a step's tokens stream before anyone knows whether the step will answer or call a
 * tool, and the server says which only afterwards, with a `reasoning_step` carrying the same
 * text right before the `tool_call`. On a terminal the streamed lines are then erased and
 * reprinted as a dim `thought: …`; in a pipe nothing can be erased, so the text stays as it
 * streamed and the tool-call line under it shows it was a thought.
 */
import type { ChatEvent, ChatEventOf } from '../contract/chat-events.js';
import type { ChatStyle } from './chat-style.js';

export interface ChatStreams {
  out: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  err: { write(text: string): unknown };
  /** Styles for stdout and stderr (either may be a terminal without the other). */
  style: ChatStyle;
  errStyle: ChatStyle;
}

const PIPE_WIDTH = 200;
/** Sandbox output lines shown per tool call or RLM run; the tool result has the rest. */
const SANDBOX_LINES = 6;

export class ChatRenderer {
  /** Text streamed for the current step, which may yet turn out to be a thought. */
  private streamed?: { iteration: number; text: string; erasable: boolean };
  private lineOpen = false;
  /** Sandbox lines shown so far, per tool call / RLM run. */
  private readonly sandboxShown = new Map<string, number>();

  constructor(private readonly streams: ChatStreams) {}

  event(event: ChatEvent): void {
    const { style } = this.streams;
    switch (event.kind) {
      case 'assistant_token':
        this.token(event.payload.iteration, event.text);
        break;
      case 'reasoning_step':
        this.thought(event.payload.iteration, event.text);
        break;
      case 'status': {
        const { payload } = event;
        if (payload.phase === 'sandbox_output') {
          const source = `${payload.call_id}/${payload.run_id ?? ''}`;
          this.sandbox(source, indentFor(payload.depth), payload.stream_text, payload.stream === 'stderr');
        } else this.note(`· ${event.text}`);
        break;
      }
      case 'tool_call':
        this.note(`→ ${event.payload.tool_name || event.text} ${compactJson(event.payload.arguments)}`);
        break;
      case 'tool_result': {
        const { ok, tool_name: name, duration_ms: took } = event.payload;
        const line = `← ${name || 'tool'} ${ok ? 'ok' : 'failed'}${duration(took)} · ${event.text}`;
        this.note(line, ok ? style.dim : style.red);
        break;
      }
      case 'rlm_executing': {
        const { model, question, depth } = event.payload;
        const from = model ? ` (${model})` : '';
        this.note(`${indentFor(depth)}⟳ RLM run at depth ${depth}${from}: ${question || event.text}`);
        break;
      }
      case 'trajectory_step':
        this.note(`${indentFor(event.payload.depth)}↳ ${trajectory(event)}`);
        break;
      case 'memory_update':
        this.note(`✎ core memory: ${event.text} (${event.payload.mode || 'edit'})`);
        break;
      case 'final':
        this.final(event, this.endTurn());
        break;
      case 'cancelled': {
        this.endTurn();
        const reason = event.payload.reason ? ` (${event.payload.reason})` : '';
        this.note(`✗ ${event.text}${reason}`, style.yellow);
        break;
      }
      case 'error':
        this.endTurn();
        this.serverError(event.payload.code, event.text);
        break;
    }
  }

  /** A dim line of its own on stdout, cut to one terminal line. */
  note(text: string, colour: (text: string) => string = this.streams.style.dim): void {
    this.closeLine();
    this.write(`${colour(oneLine(text, this.width()))}\n`);
  }

  /** Plain lines on stdout (command output: ids, help, document lists). */
  info(text: string): void {
    this.closeLine();
    this.write(`${text}\n`);
  }

  /** The user's line, shown when input is not a terminal (which would have echoed it). */
  echo(text: string): void {
    this.note(`> ${text}`);
  }

  serverError(code: string, message: string): void {
    this.beforeStderr();
    this.streams.err.write(`${this.streams.errStyle.red(`error ${code}: ${message}`)}\n`);
  }

  problem(message: string): void {
    this.beforeStderr();
    this.streams.err.write(`${this.streams.errStyle.red(`error: ${message}`)}\n`);
  }

  /** Notes about the connection, on stderr so stdout stays the conversation. */
  status(message: string): void {
    this.beforeStderr();
    this.streams.err.write(`${this.streams.errStyle.dim(message)}\n`);
  }

  /**
   * On a terminal stderr shares the screen, so a half-streamed line is ended first; in a pipe
   * stdout is a separate file and its line goes on unbroken.
   */
  private beforeStderr(): void {
    if (this.streams.out.isTTY) this.closeLine();
  }

  closeLine(): void {
    // Anything printed after streamed text makes it impossible to erase exactly.
    if (this.streamed) this.streamed.erasable = false;
    if (this.lineOpen) this.write('\n');
  }

  private token(iteration: number, text: string): void {
    if (!this.streamed || this.streamed.iteration !== iteration) {
      this.closeLine();
      this.streamed = { iteration, text: '', erasable: true };
    }
    this.streamed.text += text;
    this.write(text);
  }

  private thought(iteration: number, text: string): void {
    const current = this.streamed?.iteration === iteration ? this.streamed : undefined;
    const streamed = current?.text ?? '';
    this.streamed = undefined;
    if (!streamed.trim()) {
      if (text.trim()) this.info(this.streams.style.dim(`thought: ${text.trim()}`));
      return;
    }
    if (!this.streams.out.isTTY || !current?.erasable) {
      this.closeLine();
      return;
    }
    this.erase(streamed);
    this.info(this.streams.style.dim(`thought: ${(text || streamed).trim()}`));
  }

  /** Resets the per-turn state; returns the text streamed for the last step. */
  private endTurn(): string {
    const streamed = this.streamed?.text ?? '';
    this.streamed = undefined;
    this.sandboxShown.clear();
    this.closeLine();
    return streamed;
  }

  private final(event: ChatEventOf<'final'>, streamed: string): void {
    // Nothing streamed (joined late, or a step with no tokens): the answer is in the frame.
    if (!streamed.trim() && event.text.trim()) this.write(`${event.text.trim()}\n`);
    const { usage, cost_usd: cost, iterations: steps, duration_ms: took } = event.payload;
    const parts = [
      `${steps} step${steps === 1 ? '' : 's'}`,
      `${usage.total_tokens.toLocaleString('en-US')} tokens`,
      cost ? `$${cost.toFixed(4)}` : undefined,
      duration(took).replace(/^ · /, '') || undefined,
    ].filter(Boolean);
    this.note(`✓ done · ${parts.join(' · ')}`, this.streams.style.green);
  }

  private sandbox(source: string, indent: string, text: string, stderr: boolean): void {
    const shown = this.sandboxShown.get(source) ?? 0;
    if (shown > SANDBOX_LINES) return;
    const lines = text.split('\n').filter((line) => line.trim());
    const room = SANDBOX_LINES - shown;
    const colour = stderr ? this.streams.style.yellow : this.streams.style.dim;
    for (const line of lines.slice(0, room)) this.note(`${indent}│ ${line}`, colour);
    if (lines.length > room) this.note(`${indent}│ …`);
    this.sandboxShown.set(source, shown + Math.min(lines.length, room) + (lines.length > room ? 1 : 0));
  }

  /** Moves the cursor back to where `text` started streaming and clears from there down. */
  private erase(text: string): void {
    const columns = this.width() + 1;
    const rows = text
      .split('\n')
      .reduce((total, line) => total + Math.max(1, Math.ceil(line.length / columns)), 0);
    this.write(`\r${rows > 1 ? `\x1b[${rows - 1}A` : ''}\x1b[J`);
    this.lineOpen = false;
  }

  private width(): number {
    const { out } = this.streams;
    return out.isTTY && out.columns ? Math.max(20, out.columns - 1) : PIPE_WIDTH;
  }

  private write(text: string): void {
    if (!text) return;
    this.streams.out.write(text);
    this.lineOpen = !text.endsWith('\n');
  }
}

function trajectory(event: ChatEventOf<'trajectory_step'>): string {
  const { payload } = event;
  const blocks = payload.code.length;
  return [
    `iteration ${payload.iteration}`,
    oneLine(payload.reasoning || event.text, 80),
    `${blocks} code block${blocks === 1 ? '' : 's'}`,
    payload.submitted ? 'submitted' : undefined,
    payload.errors[0] ? `error: ${payload.errors[0]}` : undefined,
    `${payload.llm_calls_used}/${payload.max_llm_calls} sub-calls`,
  ]
    .filter((part) => part)
    .join(' · ');
}

/** RLM lines are indented by depth (the agent's own lines are not). */
function indentFor(depth: number | undefined): string {
  return depth === undefined ? '' : '  '.repeat(depth + 1);
}

function duration(ms: number): string {
  return ms < 1000 ? ` · ${Math.round(ms)} ms` : ` · ${(ms / 1000).toFixed(1)} s`;
}

function compactJson(value: unknown): string {
  if (value === undefined || (typeof value === 'object' && value && Object.keys(value).length === 0))
    return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

/** Whitespace collapsed (leading indent kept), cut to `max` characters with an ellipsis. */
function oneLine(text: string, max: number): string {
  const indent = /^ */.exec(text)?.[0] ?? '';
  const flat = indent + text.slice(indent.length).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
