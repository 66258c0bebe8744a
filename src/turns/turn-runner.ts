/**
 * Owns a turn's lifecycle: accept a message (one running turn per session; a re-sent
 * client_message_id attaches to its turn instead of starting another), persist it, run the agent
 * as a background task detached from any socket, relay everything it reports, and end with
 * exactly one terminal frame — `final`, `cancelled` (preemptive, within a second) or `error`.
 * Also closes turns a crash left running, and drains on shutdown.
 */
import type { ChatAgent } from '../agent/chat-agent.js';
import type { MessageFrame } from '../contract/client-frames.js';
import type { ErrorCode } from '../contract/error-codes.js';
import type { ExecutionEventEmitter, SessionRef } from '../events/execution-event-emitter.js';
import { LmError } from '../lm/lm-error.js';
import type { OwnedSession } from '../sessions/owned-session.js';
import { isOwnedBy, type SessionAccess } from '../sessions/session-access.js';
import { DuplicateTurnError } from '../store/duplicate-turn-error.js';
import type { EventLog } from '../store/event-log.js';
import type { Identity } from '../store/session-store.js';
import type { StepStore } from '../store/step-store.js';
import type { TurnRow, TurnStore } from '../store/turn-store.js';
import { withTurnScope } from '../tracing/active-tracer.js';
import type { ObserverRegistry, TurnRecord } from '../tracing/observer-registry.js';
import { markError, mlflowTraceId, setJson, setOutputs, withSpan } from '../tracing/span-helpers.js';
import type { Tracing } from '../tracing/tracing.js';
import { delay } from '../util/concurrency.js';
import { errorMessage, preview } from '../util/text.js';
import { toWireUsage, type Usage, ZERO_USAGE } from '../util/usage.js';
import type { TurnRuntimeSettings } from './chat-frame-mapper.js';
import { activateMessageDocuments, createMessageSession, openNamedSession } from './message-session.js';
import { TurnError } from './turn-error.js';
import { newTurnId, type TurnEnd, TurnEventSink } from './turn-events.js';
import type { TurnOutputLimits } from './turn-output-budget.js';

interface RunningTurn {
  turn: TurnRow;
  controller: AbortController;
  sink: TurnEventSink;
  done: Promise<void>;
  finished: boolean;
  /** MLflow form of the turn's trace id; null when tracing is off. */
  traceId: string | null;
}

export interface SubmitResult {
  turn: TurnRow;
  session: OwnedSession;
  /** True when the message was a re-send of a turn that exists already. */
  attached: boolean;
  /** Replay the session's chat stream after this seq to see the whole turn. */
  sinceSeq: number;
}

type TurnResult =
  | { status: 'completed'; text: string; usage: Usage }
  | { status: 'cancelled' | 'error'; error: string; usage: Usage };

export class TurnRunner {
  private readonly running = new Map<string, RunningTurn>();
  /** Sessions whose turn is being created: between the in-progress check and `running`. */
  private readonly starting = new Set<string>();
  private accepting = true;

  constructor(
    private readonly deps: {
      /** Turn rows; the steps the event sink writes; the chat log's last seq when a turn starts. */
      store: TurnStore & StepStore & Pick<EventLog, 'seqRange'>;
      sessions: SessionAccess;
      /** Turns one user may have running at once (USER_MAX_CONCURRENT_TURNS). */
      turnsPerUser: number;
      emitter: ExecutionEventEmitter;
      agent: ChatAgent;
      plannerConfigured: () => boolean;
      log: (message: string) => void;
      /** Removes secrets from error text before it becomes a frame (kept in the replay log). */
      redact?: (text: string) => string;
      tracing?: Tracing;
      observers?: ObserverRegistry;
      /** Live sandbox output each turn may stream and persist. */
      turnOutput?: TurnOutputLimits;
      /** What every chat frame's `runtime` context reports of the server's settings. */
      runtime: TurnRuntimeSettings;
    },
  ) {}

  runningTurn(sessionId: string): TurnRow | undefined {
    return this.running.get(sessionId)?.turn;
  }

  get activeTurns(): number {
    return this.running.size;
  }

  async submit(identity: Identity, frame: MessageFrame): Promise<SubmitResult> {
    const { store } = this.deps;
    const existingSession = frame.session_id
      ? await openNamedSession(this.deps.sessions, identity, frame.session_id)
      : undefined;
    if (existingSession && frame.client_message_id) {
      const existing = await store.findTurnByClientMessageId(existingSession.id, frame.client_message_id);
      if (existing) return this.attach(existingSession, existing);
    }
    // Refusals come before a new session is made, so a refused message leaves nothing behind.
    if (!this.accepting)
      throw new TurnError('server_shutting_down', 'the server is shutting down; try again shortly');
    const current = existingSession && this.running.get(existingSession.id);
    if (current) {
      throw new TurnError(
        'turn_in_progress',
        `session ${existingSession.id} is already answering turn ${current.turn.index}; send cancel first or wait`,
        {
          turn_id: current.turn.id,
        },
      );
    }
    if (!this.deps.plannerConfigured()) {
      throw new TurnError(
        'planner_missing',
        'no planner model is configured: set DSPY_LM_MODEL (and DSPY_LLM_API_KEY)',
      );
    }
    this.checkTurnQuota(identity);
    if (frame.documents?.length && !existingSession) {
      throw new TurnError(
        'invalid_frame',
        'documents belong to a session: send session_id with the documents of that session',
      );
    }
    if (existingSession && frame.documents?.length)
      await activateMessageDocuments(existingSession, frame.documents);
    // An unknown session_id that got this far is a new session's id the client chose.
    const session =
      existingSession ?? (await createMessageSession(this.deps.sessions, identity, frame.session_id));
    // Two first messages racing for one new id both land here with the one session: the
    // reservation keeps its turns one at a time, as for an existing session.
    if (!existingSession && (this.running.has(session.id) || this.starting.has(session.id))) {
      throw new TurnError(
        'turn_in_progress',
        `session ${session.id} is already answering a turn; send cancel first or wait`,
      );
    }
    this.starting.add(session.id);
    const ref: SessionRef = { ...identity, sessionId: session.id };
    let turn: TurnRow;
    try {
      await this.deps.emitter.ready(session.id);
      // Nothing else emits on the session's chat stream while the reservation is held.
      const chatStartSeq = (await store.seqRange(session.id, 'chat')).last;
      turn = await store.createTurn({
        id: newTurnId(),
        sessionId: session.id,
        identity,
        clientMessageId: frame.client_message_id,
        userMessage: frame.content,
        executionMode: frame.execution_mode ?? 'auto',
        startedAt: Date.now(),
        chatStartSeq,
      });
    } catch (error) {
      this.starting.delete(session.id);
      if (DuplicateTurnError.isInstance(error) && frame.client_message_id) {
        const existing = await store.findTurnByClientMessageId(session.id, frame.client_message_id);
        if (existing) return this.attach(session, existing);
      }
      throw error;
    }
    // From here to `running` nothing waits, so the reservation cannot be left behind.
    const sink = new TurnEventSink(this.deps.emitter, store, ref, turn.id, {
      executionMode: turn.executionMode,
      runtime: this.deps.runtime,
      log: this.deps.log,
      outputLimits: this.deps.turnOutput,
    });
    const controller = new AbortController();
    const running: RunningTurn = {
      turn,
      controller,
      sink,
      finished: false,
      done: Promise.resolve(),
      traceId: null,
    };
    this.running.set(session.id, running);
    this.starting.delete(session.id);
    void sink.chat('status', 'Turn started', {
      phase: 'started',
      turn_index: turn.index,
      execution_mode: turn.executionMode,
      client_message_id: turn.clientMessageId,
    });
    void sink.passive({
      type: 'execution_started',
      run_id: turn.id,
      step: null,
      summary: { turn_id: turn.id, turn_index: turn.index, task: preview(turn.userMessage, 500) },
    });
    const tracing = this.deps.tracing;
    running.done = withTurnScope(identityOf(turn), () =>
      tracing
        ? tracing.traceTurn(() => this.executeTraced(session, running))
        : this.execute(session, running).then(() => undefined),
    );
    return { turn, session, attached: false, sinceSeq: turn.chatStartSeq ?? 0 };
  }

  /** Stops the session's running turn at once; false when nothing runs. */
  async cancel(identity: Identity, sessionId: string): Promise<boolean> {
    const running = this.running.get(sessionId);
    if (!running || !isOwnedBy(running.turn, identity)) return false;
    await this.finish(running, {
      status: 'cancelled',
      text: 'Turn cancelled',
      reason: 'cancelled by the user',
    });
    return true;
  }

  /**
   * Closes turns a previous process left running, on both streams as any turn ends: an `error`
   * frame (`server_restarted`) on the chat stream and `execution_completed` on the events
   * stream, so a viewer of either one sees the turn end.
   */
  async recover(): Promise<number> {
    const stale = await this.deps.store.runningTurns();
    for (const turn of stale) {
      const ref: SessionRef = {
        workspaceId: turn.workspaceId,
        userId: turn.userId,
        sessionId: turn.sessionId,
      };
      const sink = new TurnEventSink(this.deps.emitter, this.deps.store, ref, turn.id, {
        executionMode: turn.executionMode,
        runtime: this.deps.runtime,
        log: this.deps.log,
      });
      await sink.end(
        {
          status: 'error',
          text: 'The server restarted while this turn was running.',
          code: 'server_restarted',
        },
        {
          turnIndex: turn.index,
          durationMs: Math.max(0, Date.now() - turn.startedAt),
          traceId: turn.traceId,
        },
      );
      await this.deps.store.finishTurn(turn.id, {
        status: 'error',
        error: 'server_restarted',
        finishedAt: Date.now(),
        usage: turn.usage,
      });
    }
    return stale.length;
  }

  /** Stops accepting turns; waits up to `graceMs` for running ones, then cancels the rest. */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;
    const all = [...this.running.values()];
    const waited = Promise.all(all.map((running) => running.done));
    await Promise.race([waited, delay(graceMs)]);
    await Promise.all(
      [...this.running.values()].map((running) =>
        this.finish(running, {
          status: 'cancelled',
          text: 'Turn cancelled: the server is shutting down',
          reason: 'server_shutdown',
        }),
      ),
    );
    await this.deps.emitter.flush();
  }

  /**
   * The turn inside its root span (`FleetAgent.respond`): the span carries the session and user
   * so MLflow files the trace under them, and its id goes out in the terminal frame.
   */
  private executeTraced(session: OwnedSession, running: RunningTurn): Promise<void> {
    const { turn } = running;
    return withSpan(
      'FleetAgent.respond',
      'AGENT',
      {
        inputs: { message: turn.userMessage, execution_mode: turn.executionMode },
        attributes: {
          'session.id': session.id,
          'user.id': turn.userId,
          'fleet_rlm.workspace_id': turn.workspaceId,
          'fleet_rlm.turn_id': turn.id,
          'fleet_rlm.turn_index': turn.index,
          // Restored as trace tags by MLflow, so its search results name the turn.
          'mlflow.traceTag.fleet_rlm.turn_id': turn.id,
        },
      },
      async (span) => {
        if (span.isRecording()) running.traceId = mlflowTraceId(span);
        const result = await this.execute(session, running);
        if (result.status === 'completed') setOutputs(span, { answer: result.text });
        else markError(span, new Error(result.error ?? result.status));
        setJson(span, 'fleet_rlm.turn_usage', toWireUsage(result.usage));
      },
    );
  }

  private async execute(session: OwnedSession, running: RunningTurn): Promise<TurnResult> {
    const { turn, controller, sink } = running;
    this.deps.observers?.turnStarted(this.turnRecord(running));
    try {
      const outcome = await this.deps.agent.respond({
        session,
        turnId: turn.id,
        turnIndex: turn.index,
        content: turn.userMessage,
        executionMode: turn.executionMode,
        signal: controller.signal,
        emit: (event) => sink.handle(event),
      });
      await this.finish(running, {
        status: 'completed',
        text: outcome.answer,
        usage: outcome.usage,
        iterations: outcome.iterations,
        delegations: outcome.delegations,
      });
      return { status: 'completed', text: outcome.answer, usage: outcome.usage };
    } catch (error) {
      // Cancelled: the terminal frame is out already.
      if (running.finished) return { status: 'cancelled', error: 'cancelled', usage: ZERO_USAGE };
      const code = errorCode(error);
      this.deps.log(`turn ${turn.id} failed (${code}): ${errorMessage(error)}`);
      // A provider's error may quote the request's key; the frame is kept and replayed.
      const text = this.deps.redact?.(errorMessage(error)) ?? errorMessage(error);
      await this.finish(running, { status: 'error', text, code });
      return { status: 'error', error: `${code}: ${errorMessage(error)}`, usage: ZERO_USAGE };
    }
  }

  private turnRecord(running: RunningTurn): TurnRecord {
    const { turn } = running;
    return {
      ...(running.traceId ? { traceId: running.traceId } : {}),
      turnId: turn.id,
      sessionId: turn.sessionId,
      workspaceId: turn.workspaceId,
      userId: turn.userId,
      executionMode: turn.executionMode,
    };
  }

  /** Emits the one terminal frame and records the outcome; later calls do nothing. */
  private async finish(running: RunningTurn, terminal: TurnEnd): Promise<void> {
    if (running.finished) return;
    running.finished = true;
    const { status } = terminal;
    if (status === 'cancelled') running.controller.abort(new Error('turn cancelled'));
    const { turn, sink } = running;
    const finishedAt = Date.now();
    const durationMs = finishedAt - turn.startedAt;
    const usage = terminal.status === 'completed' ? terminal.usage : ZERO_USAGE;
    const failure =
      terminal.status === 'error'
        ? terminal.code
        : terminal.status === 'cancelled'
          ? terminal.reason
          : undefined;
    // Everything the turn emitted so far (frames, persisted steps) is written before its end, so
    // a client reading the turn's steps when the terminal frame arrives finds all of them. A
    // cancel does not wait long on a slow database for that.
    await Promise.race([sink.settled(), delay(status === 'cancelled' ? 250 : 5_000)]);
    // Record the outcome first: a client reacting to the terminal frame (reading the turn, or
    // sending the next message at once) must find this turn finished and the session free.
    await this.deps.store
      .finishTurn(turn.id, {
        status,
        ...(failure === undefined ? { assistantMessage: terminal.text } : { error: failure }),
        finishedAt,
        usage,
        ...(running.traceId ? { traceId: running.traceId } : {}),
      })
      .catch((error: unknown) =>
        this.deps.log(`could not record the end of turn ${turn.id}: ${errorMessage(error)}`),
      );
    if (this.running.get(turn.sessionId) === running) this.running.delete(turn.sessionId);
    this.deps.observers?.turnFinished({
      ...this.turnRecord(running),
      status,
      durationMs,
      usage,
      ...(terminal.status === 'error' ? { error: terminal.code } : {}),
    });
    await sink.end(terminal, { turnIndex: turn.index, durationMs, traceId: running.traceId });
  }

  /**
   * A re-sent message joins its turn from the turn's first frame (if the log no longer has it,
   * the subscription says so with a gap). Turns older than the column join from the start.
   */
  private attach(session: OwnedSession, turn: TurnRow): SubmitResult {
    return { turn, session, attached: true, sinceSeq: turn.chatStartSeq ?? 0 };
  }

  /** One user's running turns, over all their sessions, stay under USER_MAX_CONCURRENT_TURNS. */
  private checkTurnQuota(identity: Identity): void {
    const limit = this.deps.turnsPerUser;
    let running = 0;
    for (const { turn } of this.running.values()) if (isOwnedBy(turn, identity)) running++;
    if (running >= limit) {
      throw new TurnError(
        'quota_exceeded',
        `you already have ${running} turn${running === 1 ? '' : 's'} running, the limit per user ` +
          `(USER_MAX_CONCURRENT_TURNS=${limit}); wait for one to finish or cancel it`,
        { limit, running },
      );
    }
  }
}

function identityOf(turn: TurnRow) {
  return { sessionId: turn.sessionId, workspaceId: turn.workspaceId, userId: turn.userId };
}

/** A model failure says which (its catalogue code); anything else that breaks a turn is `turn_failed`. */
function errorCode(error: unknown): ErrorCode {
  return LmError.isInstance(error) ? error.code : 'turn_failed';
}
