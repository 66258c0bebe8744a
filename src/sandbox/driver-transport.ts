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
}

export interface TransportHandlers {
  onLine(text: string): void;
  onExit(reason: string): void;
  /** Output written below Python's sys.stdout (fd level), if the transport can see it. */
  onRawOutput(stream: 'stdout' | 'stderr', text: string): void;
  onMemory(bytes: number): void;
}

export type TransportFactory = (handlers: TransportHandlers) => Promise<DriverTransport>;
