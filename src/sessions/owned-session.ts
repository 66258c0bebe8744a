/**
 * A session opened for the identity that owns it. Everything that belongs to a session — its
 * documents, core memory, conversation history and sandbox — is reached through this object,
 * and the only way to get one is `SessionAccess.open` (or `create`), which checks ownership. So
 * code holding an `OwnedSession` cannot reach another identity's data by passing the wrong id.
 */
import type { SandboxWait } from '../sandbox/sandbox-pool.js';
import type { DocumentStore } from '../store/document-store.js';
import type { CoreMemory, Identity, SessionRow, SessionStore } from '../store/session-store.js';
import type { StepRow, StepStore } from '../store/step-store.js';
import type { TurnRow, TurnStore } from '../store/turn-store.js';
import { editCoreMemory, effectiveCoreMemory, type MemoryEdit } from './core-memory.js';
import { SessionDocuments } from './session-documents.js';
import { SessionError } from './session-error.js';
import type { SandboxLease, SessionSandboxes } from './session-sandboxes.js';

/** The store seams a session's own data lives in. */
export type SessionDataStore = SessionStore & TurnStore & StepStore & DocumentStore;

export interface OwnedSessionDeps {
  store: SessionDataStore;
  sandboxes: SessionSandboxes;
  /** The directory `load_document` paths of this session resolve in. */
  workspaceRoot: string;
}

export class OwnedSession {
  readonly documents: SessionDocuments;

  constructor(
    /** The row as loaded; document activation and memory edits keep it current. */
    readonly row: SessionRow,
    private readonly deps: OwnedSessionDeps,
  ) {
    this.documents = new SessionDocuments(deps.store, row);
  }

  get id(): string {
    return this.row.id;
  }

  get identity(): Identity {
    return { workspaceId: this.row.workspaceId, userId: this.row.userId };
  }

  get workspaceRoot(): string {
    return this.deps.workspaceRoot;
  }

  /** What the agent sees: blocks never written fall back to their defaults. */
  coreMemory(): CoreMemory {
    return effectiveCoreMemory(this.row.coreMemory);
  }

  /** Validates and stores one block; a refused edit changes nothing. */
  async editCoreMemory(
    section: keyof CoreMemory,
    content: string,
    mode: 'replace' | 'append',
  ): Promise<MemoryEdit> {
    const edit = editCoreMemory(this.row.coreMemory, section, content, mode);
    if (!edit.ok) return edit;
    await this.deps.store.updateSession(this.id, { coreMemory: edit.memory });
    this.row.coreMemory = edit.memory;
    return edit;
  }

  /** Oldest first. */
  turns(options?: { limit?: number; afterIndex?: number; offset?: number }): Promise<TurnRow[]> {
    return this.deps.store.listTurns(this.id, options);
  }

  countTurns(): Promise<number> {
    return this.deps.store.countTurns(this.id);
  }

  /**
   * The execution steps of one of this session's turns, in the order written (parents first);
   * `turn_not_found` for a turn of any other session, like one that does not exist.
   */
  async steps(turnId: string): Promise<StepRow[]> {
    const turn = await this.deps.store.getTurn(turnId);
    if (!turn || turn.sessionId !== this.id)
      throw new SessionError('turn_not_found', `no turn ${turnId} in session ${this.id}`);
    return this.deps.store.listSteps(turn.id);
  }

  async saveHistorySummary(summary: string, summarizedThrough: number): Promise<void> {
    await this.deps.store.updateSession(this.id, { historySummary: summary, summarizedThrough });
    this.row.historySummary = summary;
    this.row.summarizedThrough = summarizedThrough;
  }

  /**
   * Leases this session's own sandbox (started on first use, kept between turns); `onQueued`
   * hears it when every slot is taken and the lease waits for one.
   */
  useSandbox(signal?: AbortSignal, onQueued?: (wait: SandboxWait) => void): Promise<SandboxLease> {
    return this.deps.sandboxes.use({ ...this.identity, sessionId: this.id }, signal, onQueued);
  }

  /** Destroys this session's sandbox (unless a turn is using it right now). */
  releaseSandbox(): Promise<void> {
    return this.deps.sandboxes.evict(this.id);
  }
}
