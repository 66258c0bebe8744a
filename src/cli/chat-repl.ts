/**
 * The conversation loop of `fleet-rlm chat`: input lines are handled one after another (a line
 * waits until the running turn has its terminal frame, so a piped script runs in order), our
 * turn's events go to the renderer, Ctrl-C cancels the running turn and a second one quits.
 * When input ends it waits for the running turn, then resolves with the exit status: 1 when the
 * last turn failed or the connection was lost for good, else 0.
 */
import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import type { ExecutionClient, ExecutionClientEvents } from '../client/execution-client.js';
import type { FleetHttpClient } from '../client/http-client.js';
import { isCommandFailure } from '../client/pending-commands.js';
import { type ChatEvent, type ErrorEnvelope, isTerminal } from '../contract/chat-events.js';
import type { ExecutionMode } from '../contract/client-frames.js';
import { type DocumentCommandContext, loadDocument, showDocuments } from './chat-documents.js';
import type { ChatRenderer } from './chat-renderer.js';
import { CHAT_HELP, messageText, parseSlashCommand, type SlashCommand } from './chat-slash-commands.js';
import { ChatTurns } from './chat-turns.js';

export interface ChatReplOptions {
  client: ExecutionClient;
  http: FleetHttpClient;
  renderer: ChatRenderer;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Input is a terminal: show a prompt, and let /cancel and /quit act at once. */
  interactive: boolean;
  sessionId: string;
  mode: ExecutionMode;
}

type ClientListeners = { [K in keyof ExecutionClientEvents]?: (...args: ExecutionClientEvents[K]) => void };

export class ChatRepl {
  private sessionId: string;
  private mode: ExecutionMode;
  private readonly turns = new ChatTurns(() => this.maybeFinish());
  private readonly lines: string[] = [];
  private pumping = false;
  private inputEnded = false;
  private commandPending = false;
  private readline?: Interface;
  private stopping = false;
  private resolveExit!: (code: number) => void;
  private readonly exited = new Promise<number>((resolve) => {
    this.resolveExit = resolve;
  });
  private readonly listeners: ClientListeners = {
    event: (event) => this.onEvent(event),
    server_error: (error) => this.onServerError(error),
    reconnecting: ({ attempt, delayMs }) =>
      this.options.renderer.status(
        `${attempt === 1 ? 'connection lost; ' : ''}reconnecting in ${delayMs} ms (attempt ${attempt})…`,
      ),
    reconnected: () => this.options.renderer.status(`reconnected; resuming session ${this.sessionId}`),
    malformed: ({ problem }) =>
      this.options.renderer.status(`ignored a malformed frame from the server: ${problem}`),
    closed: (error) => {
      if (!error) return;
      this.options.renderer.problem(error.message);
      this.turns.finish('error');
      this.turns.lastOutcome = 'error';
      this.exit(1);
    },
  };

  constructor(private readonly options: ChatReplOptions) {
    this.sessionId = options.sessionId;
    this.mode = options.mode;
  }

  async run(): Promise<number> {
    const { client, input, output, interactive, renderer } = this.options;
    const entries = Object.entries(this.listeners) as Array<['event', (event: ChatEvent) => void]>;
    for (const [name, listener] of entries) client.on(name, listener);
    try {
      await this.switchTo(this.sessionId);
      this.readline = createInterface({
        input,
        output: interactive ? output : undefined,
        terminal: interactive,
      });
      this.readline.setPrompt('› ');
      this.readline.on('line', (line) => this.onLine(line));
      this.readline.on('close', () => {
        this.inputEnded = true;
        this.maybeFinish();
      });
      this.readline.on('SIGINT', () => this.interrupt());
      this.prompt();
      return await this.exited;
    } catch (error) {
      renderer.problem(messageOf(error));
      return 1;
    } finally {
      this.readline?.close();
      for (const [name, listener] of entries) client.off(name, listener);
    }
  }

  /** Ctrl-C: cancel the running turn; a second press, or one while idle, quits. */
  interrupt(): void {
    const turn = this.turns.current;
    if (turn && !turn.cancelling) {
      this.cancel();
      this.options.renderer.status('cancelling… (Ctrl-C again to quit)');
      return;
    }
    this.exit(turn ? 130 : this.exitCode());
  }

  private onLine(line: string): void {
    if (!line.trim()) {
      this.prompt();
      return;
    }
    const command = parseSlashCommand(line);
    // At a terminal these must work while a turn streams; in a script they keep their place.
    if (this.options.interactive && (command?.name === 'cancel' || command?.name === 'quit')) {
      void this.runCommand(command);
      return;
    }
    this.lines.push(line);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let line = this.lines.shift(); line !== undefined; line = this.lines.shift()) {
        await this.turns.current?.done;
        if (this.stopping) break;
        const command = parseSlashCommand(line);
        if (command) await this.runCommand(command);
        else await this.sendMessage(messageText(line));
      }
    } finally {
      this.pumping = false;
    }
    this.maybeFinish();
    this.prompt();
  }

  private async sendMessage(content: string): Promise<void> {
    if (!this.options.interactive) this.options.renderer.echo(content);
    const turn = this.turns.start();
    try {
      this.options.client.send({
        type: 'message',
        content,
        session_id: this.sessionId,
        client_message_id: randomUUID(),
        execution_mode: this.mode,
      });
    } catch (error) {
      this.options.renderer.problem(messageOf(error));
      this.turns.finish('error');
    }
    await turn.done;
  }

  private onEvent(event: ChatEvent): void {
    if (event.session_id !== this.sessionId || !this.turns.owns(event)) return;
    const turn = this.turns.current;
    if (turn?.cancelBeforeStart) {
      turn.cancelBeforeStart = false;
      this.options.client.send({ type: 'cancel', session_id: this.sessionId });
    }
    this.options.renderer.event(event);
    if (isTerminal(event)) this.turns.finish(event.kind);
  }

  private onServerError(error: ErrorEnvelope): void {
    const { renderer } = this.options;
    if (error.code === 'replay_gap') {
      renderer.status(`some earlier frames are gone: ${error.message}`);
      return;
    }
    if (error.code === 'no_running_turn') {
      if (!this.turns.current?.cancelBeforeStart) renderer.status('nothing to cancel');
      return;
    }
    // A command's failure is reported where the command was awaited.
    if (this.commandPending && isCommandFailure(error.code)) return;
    renderer.serverError(error.code, error.message);
    // No frame of our turn yet: the server refused the message itself (planner_missing, …).
    const turn = this.turns.current;
    if (turn && !turn.turnId) this.turns.finish('error');
  }

  private async runCommand(command: SlashCommand): Promise<void> {
    const { renderer, http } = this.options;
    this.commandPending = true;
    try {
      switch (command.name) {
        case 'cancel':
          this.cancel();
          break;
        case 'quit':
          this.exit(this.turns.current ? 0 : this.exitCode());
          break;
        case 'help':
          renderer.info(CHAT_HELP);
          break;
        case 'invalid':
          renderer.problem(command.problem);
          break;
        case 'mode':
          if (command.mode) this.mode = command.mode;
          renderer.info(`mode ${this.mode}`);
          break;
        case 'session':
          if (command.id && command.id !== this.sessionId) await this.switchTo(command.id);
          renderer.info(`session ${this.sessionId}`);
          break;
        case 'new':
          await this.switchTo((await http.createSession()).id);
          renderer.info(`session ${this.sessionId}`);
          break;
        case 'docs':
          await showDocuments(this.documentContext());
          break;
        case 'load':
          await loadDocument(this.documentContext(), command.source, command.alias);
          break;
      }
    } catch (error) {
      // A server's refusal reads `<command>: <code>: <message>`, so the code is in it.
      renderer.problem(messageOf(error));
    } finally {
      this.commandPending = false;
    }
  }

  private cancel(): void {
    const turn = this.turns.current;
    if (turn) {
      turn.cancelling = true;
      turn.cancelBeforeStart = !turn.turnId;
    }
    this.options.client.send({ type: 'cancel', session_id: this.sessionId });
  }

  /**
   * Enters a session: follows it from its first kept frame (so a turn still running there is
   * shown from its start) and shows nothing of the turns that already ended.
   */
  private async switchTo(sessionId: string): Promise<void> {
    const { http, client, renderer } = this.options;
    const session = await http.getSession(sessionId);
    const turns = await http.listTurns(sessionId);
    if (this.sessionId !== sessionId) client.unfollow(this.sessionId);
    this.sessionId = sessionId;
    this.turns.reset(
      turns.map((turn) => turn.id),
      session.running_turn_id,
    );
    if (session.running_turn_id) renderer.status(`resuming the running turn of session ${sessionId}`);
    client.follow(sessionId, 0);
  }

  private documentContext(): DocumentCommandContext {
    const { client, http, renderer } = this.options;
    return { client, http, renderer, sessionId: this.sessionId };
  }

  private maybeFinish(): void {
    const idle = !this.pumping && this.lines.length === 0 && !this.turns.current;
    if (this.inputEnded && idle) this.exit(this.exitCode());
  }

  /** Ends the chat; lines not handled yet are dropped. */
  private exit(code: number): void {
    this.stopping = true;
    this.resolveExit(code);
  }

  private exitCode(): number {
    return this.turns.lastOutcome === 'error' ? 1 : 0;
  }

  private prompt(): void {
    const idle = !this.pumping && this.lines.length === 0 && !this.turns.current;
    if (this.options.interactive && idle) this.readline?.prompt();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
