/**
 * One subscriber's view of one session stream: replay from the log after `sinceSeq`, then live
 * frames from the bus, each seq delivered exactly once and in order. Live frames that arrive
 * while replaying are held and de-duplicated. A subscriber that cannot keep up (its socket is
 * congested past a bounded queue) drops the queue and catches up from the log once it drains:
 * memory stays bounded and nothing is lost while the log still holds the frames. Frames the log
 * no longer holds (it is trimmed to EVENTS_REPLAY_LIMIT) are never skipped silently: whenever
 * a read of the log continues past a seq it still needed, `onGap` says so first.
 */
import type { EventLog, EventStream } from '../store/event-log.js';
import type { BusMessage, EventBus } from './event-bus.js';

export interface FrameSink {
  /** `text` is the frame as JSON when the caller has it already. */
  send(frame: unknown, text?: string): void;
  /** True while the connection has too much unsent data to take more. */
  congested(): boolean;
}

export interface SubscriptionOptions {
  store: Pick<EventLog, 'readEvents' | 'seqRange'>;
  bus: EventBus;
  sessionKey: string;
  sessionId: string;
  stream: EventStream;
  /** Deliver frames with seq > sinceSeq; undefined = only frames emitted from now on. */
  sinceSeq?: number;
  queueLimit: number;
  /**
   * Frames after `requested` and before `oldest` are gone from the log (at the start, or when a
   * slow subscriber catches up after the log was trimmed); called before replay continues from
   * `oldest`.
   */
  onGap?: (oldest: number, requested: number) => void;
  onError?: (error: unknown) => void;
}

const PAGE = 500;
const DRAIN_POLL_MS = 20;

export class Subscription {
  /** Highest seq handed to the sink. */
  lastDelivered = 0;
  private readonly held: BusMessage[] = [];
  private catchingUp = true;
  private closed = false;
  private readonly unsubscribe: () => void;
  private drainTimer?: NodeJS.Timeout;
  readonly ready: Promise<void>;

  constructor(
    private readonly options: SubscriptionOptions,
    private readonly sink: FrameSink,
  ) {
    // Listen first, then read the log: a frame committed after the read is published after
    // this listener exists, so nothing falls between the two.
    this.unsubscribe = options.bus.subscribe(options.sessionKey, (message) => this.onLive(message));
    this.ready = this.start().catch((error: unknown) => options.onError?.(error));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.drainTimer);
    this.unsubscribe();
    this.held.length = 0;
  }

  private async start(): Promise<void> {
    const { store, sessionId, stream, sinceSeq } = this.options;
    if (sinceSeq === undefined) {
      this.lastDelivered = (await store.seqRange(sessionId, stream)).last;
    } else {
      // A sinceSeq older than the log's oldest frame is reported by the first read of catchUp.
      this.lastDelivered = sinceSeq;
    }
    await this.catchUp();
  }

  private onLive(message: BusMessage): void {
    if (this.closed || message.stream !== this.options.stream) return;
    if (this.catchingUp) {
      if (this.held.length < this.options.queueLimit) this.held.push(message);
      // Past the bound the held frames are dropped: the log still has them for catchUp.
      return;
    }
    if (message.seq <= this.lastDelivered) return;
    if (message.seq !== this.lastDelivered + 1 || this.sink.congested()) {
      this.fallBehind();
      return;
    }
    this.deliver(message.seq, message.frame, message.text);
  }

  private deliver(seq: number, frame: unknown, text?: string): void {
    this.lastDelivered = seq;
    this.sink.send(frame, text);
  }

  /** Stop taking live frames; resume from the log once the connection drains. */
  private fallBehind(): void {
    this.catchingUp = true;
    this.held.length = 0;
    void this.catchUp().catch((error: unknown) => this.options.onError?.(error));
  }

  /** Reads the log from lastDelivered until it is current, then switches to live frames. */
  private async catchUp(): Promise<void> {
    const { store, sessionId, stream } = this.options;
    for (;;) {
      if (this.closed) return;
      if (this.sink.congested()) {
        await new Promise<void>((resolve) => {
          this.drainTimer = setTimeout(resolve, DRAIN_POLL_MS);
        });
        continue;
      }
      const rows = await store.readEvents(sessionId, stream, this.lastDelivered, PAGE);
      for (const row of rows) {
        if (this.closed) return;
        if (row.seq <= this.lastDelivered) continue;
        // The frames between are gone (trimmed while this subscriber was behind, or never
        // written): said before the stream goes on, so the client knows what it missed.
        if (row.seq > this.lastDelivered + 1) this.options.onGap?.(row.seq, this.lastDelivered);
        this.deliver(row.seq, row.frame, row.frameJson);
        if (this.sink.congested()) break;
      }
      if (rows.length === PAGE || this.sink.congested()) continue;
      // The log is exhausted: hand over to live frames, first those held meanwhile.
      const held = this.held.splice(0);
      const contiguous = held.every(
        (message, index) => index === 0 || message.seq === held[index - 1]!.seq + 1,
      );
      if (!contiguous || held.length >= this.options.queueLimit) continue;
      for (const message of held) {
        if (message.seq <= this.lastDelivered) continue;
        if (message.seq !== this.lastDelivered + 1) break;
        this.deliver(message.seq, message.frame, message.text);
      }
      if (held.length === 0 || held.at(-1)!.seq <= this.lastDelivered) {
        this.catchingUp = false;
        return;
      }
    }
  }
}
