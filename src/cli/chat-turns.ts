/**
 * Which turn of the session the chat is showing, and how it ended. The protocol does not echo
 * `client_message_id` in frames, so the chat learns the session's earlier turns (from
 * `GET …/turns`) and, after sending a message, takes the first frame of any other turn as the
 * start of its own. Frames of a replayed history are skipped the same way.
 */
import { type ChatEvent, isTerminal, type TerminalKind } from '../contract/chat-events.js';

export type Outcome = TerminalKind;

export interface ActiveTurn {
  /** Known once a frame of the turn arrives (or from the session, when resuming one). */
  turnId?: string;
  cancelling: boolean;
  /**
   * Cancel was sent before the server had registered the turn; the server answers such an early
   * cancel with `no_running_turn`, so it is sent again once the turn's first frame arrives.
   */
  cancelBeforeStart: boolean;
  done: Promise<Outcome>;
}

export class ChatTurns {
  private known = new Set<string>();
  private active?: ActiveTurn & { resolve: (outcome: Outcome) => void };
  /** How the last turn ended; decides the exit status. */
  lastOutcome?: Outcome;

  constructor(private readonly onFinished: () => void) {}

  get current(): ActiveTurn | undefined {
    return this.active;
  }

  /** A session was entered (between turns): these turns are history, except one still running. */
  reset(turnIds: string[], runningTurnId: string | null): void {
    this.known = new Set(turnIds.filter((id) => id !== runningTurnId));
    if (runningTurnId) this.start(runningTurnId);
  }

  start(turnId?: string): ActiveTurn {
    let resolve!: (outcome: Outcome) => void;
    const done = new Promise<Outcome>((settle) => {
      resolve = settle;
    });
    this.active = { turnId, cancelling: false, cancelBeforeStart: false, done, resolve };
    return this.active;
  }

  /** True when the event belongs to the turn being shown (a terminal one also ends it). */
  owns(event: ChatEvent): boolean {
    const turnId = event.turn_id;
    if (!turnId) return false;
    const active = this.active;
    if (active && !active.turnId && !this.known.has(turnId)) active.turnId = turnId;
    if (active?.turnId === turnId) return true;
    if (isTerminal(event)) this.known.add(turnId);
    return false;
  }

  /** Every way a turn ends (its terminal frame, a refusal, a lost connection) comes here. */
  finish(outcome: Outcome): void {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    if (active.turnId) this.known.add(active.turnId);
    this.lastOutcome = outcome;
    active.resolve(outcome);
    this.onFinished();
  }
}
