/**
 * A WebSocket as a FrameSink for subscriptions, plus the helpers every socket handler shares:
 * sending JSON envelopes and error envelopes (whose messages and details pass the secret
 * redactor: they quote lower layers and remote services). Congestion is measured by the bytes
 * ws has not flushed yet, so a slow client falls back to replay instead of growing server memory.
 */
import type { WebSocket } from 'ws';
import type { ServerEnvelope } from '../../contract/chat-events.js';
import { ERROR_CODES, type ErrorCode } from '../../contract/error-codes.js';
import type { FrameSink } from '../../events/subscription.js';
import type { SecretRedactor } from '../../tracing/redaction.js';

const CONGESTED_BYTES = 1024 * 1024;

export function socketSink(socket: WebSocket): FrameSink {
  return {
    send: (frame, text) => {
      if (socket.readyState === socket.OPEN) socket.send(text ?? JSON.stringify(frame));
    },
    congested: () => socket.bufferedAmount > CONGESTED_BYTES,
  };
}

export function sendJson(socket: WebSocket, frame: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
}

export function sendEnvelope(socket: WebSocket, envelope: ServerEnvelope): void {
  sendJson(socket, envelope);
}

export type SendError = (code: ErrorCode, message?: string, details?: Record<string, unknown>) => void;

/** Sends `error` envelopes on `socket`, redacted. */
export function errorSender(socket: WebSocket, redactor: SecretRedactor): SendError {
  return (code, message, details) =>
    sendJson(socket, {
      type: 'error',
      code,
      message: redactor.text(message ?? ERROR_CODES[code].description),
      ...(details ? { details: redactor.value(details) } : {}),
    });
}

/** A token bucket: `burst` frames at once, refilled at `perSecond`. */
export class FrameRateLimit {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
