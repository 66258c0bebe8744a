/**
 * The seam between DriverSandbox and a runtime: a transport only moves protocol lines (and
 * payload bytes) to and from one running `driver.py`, interrupts it, and ends it. Worker
 * threads, child processes and remote sessions implement it.
 */
import type { HostMessage } from './driver-protocol.js';

/** Moves protocol lines to and from one running driver. */
export interface DriverTransport {
  send(message: HostMessage, payload?: Uint8Array): void;
  /** Raise KeyboardInterrupt in whatever Python code runs right now. */
  interrupt(): void;
  /** Hard stop; resolves once the runtime is gone. */
  terminate(): Promise<void>;
  /**
   * What the runtime still runs besides the driver (threads, child processes), described for
   * the user, or undefined when nothing is left. Asked when no execution runs; transports whose
   * runtime cannot start threads or processes leave it out.
   */
  leftovers?(): string | undefined;
}

export interface TransportHandlers {
  onLine(text: string): void;
  /** Longest protocol line to read; a longer one is dropped unread and reported. */
  readonly maxLineBytes: number;
  onOversizedLine(bytes: number): void;
  onExit(reason: string): void;
  /** Output written below Python's sys.stdout (fd level), if the transport can see it. */
  onRawOutput(stream: 'stdout' | 'stderr', text: string): void;
  onMemory(bytes: number): void;
}

export type TransportFactory = (handlers: TransportHandlers) => Promise<DriverTransport>;
