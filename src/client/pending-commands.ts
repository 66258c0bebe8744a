/**
 * Matching `command` frames with their answers. The protocol carries no request id: a
 * `command_result` names its command, and an `error` envelope names only a code. So a result
 * settles the oldest pending command of that name, and an error whose code is one a command can
 * fail with settles the oldest pending command. Good enough for one user issuing commands one
 * at a time; a request id in the frame would make it exact (noted in the issue).
 */
import type { CommandResultEnvelope, ErrorEnvelope } from '../contract/chat-events.js';
import { ClientError } from './client-error.js';

/** Codes that answer a `command` frame. */
const COMMAND_FAILURES = new Set([
  'unknown_command',
  'command_failed',
  'invalid_frame',
  'session_not_found',
  'internal_error',
]);

/** True for error codes with which the server answers a `command` frame. */
export function isCommandFailure(code: string): boolean {
  return COMMAND_FAILURES.has(code);
}

interface PendingCommand {
  command: string;
  resolve: (result: unknown) => void;
  reject: (error: ClientError) => void;
}

export class PendingCommands {
  private readonly pending: PendingCommand[] = [];

  add(command: string): { promise: Promise<unknown>; cancel: (error: unknown) => void } {
    let entry!: PendingCommand;
    const promise = new Promise<unknown>((resolve, reject) => {
      entry = { command, resolve, reject };
    });
    this.pending.push(entry);
    const cancel = (error: unknown) => {
      const index = this.pending.indexOf(entry);
      if (index >= 0) this.pending.splice(index, 1);
      entry.reject(error as ClientError);
    };
    return { promise, cancel };
  }

  resolve(envelope: CommandResultEnvelope): void {
    const index = this.pending.findIndex((entry) => entry.command === envelope.command);
    if (index >= 0) this.pending.splice(index, 1)[0]!.resolve(envelope.result);
  }

  /** True when the error answered a pending command (which is then rejected with it). */
  reject(envelope: ErrorEnvelope): boolean {
    if (!isCommandFailure(envelope.code) || this.pending.length === 0) return false;
    const { command, reject } = this.pending.shift()!;
    reject(
      new ClientError('server_error', `${command}: ${envelope.code}: ${envelope.message}`, {
        code: envelope.code,
      }),
    );
    return true;
  }

  failAll(error: ClientError): void {
    for (const entry of this.pending.splice(0)) entry.reject(error);
  }
}
