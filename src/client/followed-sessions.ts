/**
 * What the execution client remembers per session so that a dropped connection loses nothing
 * and repeats nothing: the last `seq` it delivered (resume asks for frames after it, and any
 * frame at or below it is a duplicate), and the messages whose turns it has not seen end (they
 * are sent again after a reconnect; their `client_message_id` makes the server attach to the
 * existing turn instead of starting a second one).
 */
import { type ChatEvent, isTerminal } from '../contract/chat-events.js';
import type { MessageFrame, ResumeFrame } from '../contract/client-frames.js';

interface InFlightMessage {
  frame: MessageFrame & { session_id: string; client_message_id: string };
  /** The session's last seq when it was sent: later frames belong to its turn or a newer one. */
  sentAfterSeq: number;
  /** An event of the session arrived after it was sent, so the server accepted it. */
  acknowledged: boolean;
}

export class FollowedSessions {
  private readonly lastSeqs = new Map<string, number>();
  private readonly inFlight: InFlightMessage[] = [];
  /** Left on purpose: the server may keep sending them, but they are not resumed any more. */
  private readonly unfollowed = new Set<string>();

  /** Deliver frames after `sinceSeq` from now on (and resume from there after a drop). */
  follow(sessionId: string, sinceSeq: number): void {
    this.unfollowed.delete(sessionId);
    this.lastSeqs.set(sessionId, sinceSeq);
  }

  unfollow(sessionId: string): void {
    this.unfollowed.add(sessionId);
    this.lastSeqs.delete(sessionId);
    for (let index = this.inFlight.length - 1; index >= 0; index--) {
      if (this.inFlight[index]!.frame.session_id === sessionId) this.inFlight.splice(index, 1);
    }
  }

  /** The highest seq delivered for the session; 0 when nothing was. */
  lastSeq(sessionId: string): number {
    return this.lastSeqs.get(sessionId) ?? 0;
  }

  /**
   * Records an incoming event; false when its seq was delivered already (a replay overlapping
   * what arrived live before a drop). A session first seen here is followed from now on.
   */
  accept(event: ChatEvent): boolean {
    if (this.unfollowed.has(event.session_id)) return true;
    const last = this.lastSeqs.get(event.session_id);
    if (last !== undefined && event.seq <= last) return false;
    this.lastSeqs.set(event.session_id, event.seq);
    const terminal = isTerminal(event);
    for (let index = this.inFlight.length - 1; index >= 0; index--) {
      const message = this.inFlight[index]!;
      if (message.frame.session_id !== event.session_id || event.seq <= message.sentAfterSeq) continue;
      message.acknowledged = true;
      if (terminal) this.inFlight.splice(index, 1);
    }
    return true;
  }

  /**
   * Remembers a message until its turn ends. Only messages naming their session and carrying a
   * client_message_id can be sent again safely; others are not tracked.
   */
  trackMessage(frame: MessageFrame): void {
    const { session_id: sessionId, client_message_id: clientMessageId } = frame;
    if (!sessionId || !clientMessageId) return;
    this.unfollowed.delete(sessionId); // talking to it again means following it again
    if (this.inFlight.some((message) => message.frame.client_message_id === clientMessageId)) return;
    this.inFlight.push({
      frame: { ...frame, session_id: sessionId, client_message_id: clientMessageId },
      sentAfterSeq: this.lastSeq(sessionId),
      acknowledged: false,
    });
  }

  /** The server refused a message (an `error` envelope): forget the oldest unanswered one. */
  messageRefused(): void {
    const index = this.inFlight.findIndex((message) => !message.acknowledged);
    if (index >= 0) this.inFlight.splice(index, 1);
  }

  /**
   * What to send after reconnecting: a resume per session we have frames of, then each message
   * no frame has answered yet (it may never have reached the server). A message whose turn is
   * known to run needs no re-send: the resume covers its remaining frames.
   */
  resyncFrames(): Array<ResumeFrame | MessageFrame> {
    const resumes: ResumeFrame[] = [...this.lastSeqs].map(([sessionId, sinceSeq]) => ({
      type: 'resume',
      session_id: sessionId,
      since_seq: sinceSeq,
    }));
    const unanswered = this.inFlight.filter((message) => !message.acknowledged);
    return [...resumes, ...unanswered.map((message) => message.frame)];
  }

  get followed(): string[] {
    return [...this.lastSeqs.keys()];
  }
}
