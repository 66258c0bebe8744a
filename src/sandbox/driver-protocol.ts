/**
 * The sandbox driver protocol: zod schemas for every JSON line exchanged between the host and
 * `driver/driver.py`. This file is the contract; transports only move these objects.
 */
import { z } from 'zod';

export const DRIVER_PROTOCOL_VERSION = 1;

const errorValue = z.object({
  type: z.string(),
  message: z.string(),
  traceback: z.string().optional(),
});

// ----------------------------------------------------------------------------- host -> driver

export const executeMessage = z.object({
  type: z.literal('execute'),
  id: z.string(),
  context: z.string(),
  code: z.string(),
  max_output_chars: z.number().int().positive().optional(),
  output_fields: z.array(z.string()).optional(),
});

export const setVarMessage = z.object({
  type: z.literal('set_var'),
  id: z.string(),
  context: z.string(),
  name: z.string(),
  kind: z.enum(['str', 'str_list', 'json']),
  /** Small values travel inline; large ones as bytes beside the message (see transports). */
  value: z.unknown().optional(),
  byte_lengths: z.array(z.number().int().nonnegative()).optional(),
  /** How text payloads are encoded (default utf-8). */
  encoding: z.enum(['utf-8', 'latin-1']).optional(),
  path: z.string().optional(),
});

export const resetMessage = z.object({ type: z.literal('reset'), id: z.string(), context: z.string() });

export const toolSpec = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  params: z.array(z.string()),
  doc: z.string().optional(),
});

export const registerToolsMessage = z.object({
  type: z.literal('register_tools'),
  id: z.string(),
  tools: z.array(toolSpec),
});

export const replyMessage = z.object({
  type: z.literal('reply'),
  call_id: z.string(),
  result: z.unknown().optional(),
  error: errorValue.optional(),
});

export const shutdownMessage = z.object({ type: z.literal('shutdown') });

export const hostMessage = z.discriminatedUnion('type', [
  executeMessage,
  setVarMessage,
  resetMessage,
  registerToolsMessage,
  replyMessage,
  shutdownMessage,
]);

// ----------------------------------------------------------------------------- driver -> host

export const helloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  python: z.string(),
  implementation: z.string(),
});

export const outputMessage = z.object({
  type: z.literal('output'),
  id: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  text: z.string(),
});

export const callMessage = z.object({
  type: z.literal('call'),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  args: z.record(z.string(), z.unknown()),
});

export const resultMessage = z.object({
  type: z.literal('result'),
  id: z.string(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_chars: z.number().int(),
  stderr_chars: z.number().int(),
  duration_ms: z.number(),
  error: errorValue.optional(),
  final: z.record(z.string(), z.unknown()).optional(),
});

export const ackMessage = z.object({
  type: z.literal('ack'),
  id: z.string().nullable(),
  error: errorValue.optional(),
});

export const driverMessage = z.discriminatedUnion('type', [
  helloMessage,
  outputMessage,
  callMessage,
  resultMessage,
  ackMessage,
]);

export type HostMessage = z.infer<typeof hostMessage>;
export type DriverMessage = z.infer<typeof driverMessage>;
export type ExecuteMessage = z.infer<typeof executeMessage>;
export type SetVarMessage = z.infer<typeof setVarMessage>;
export type ResultMessage = z.infer<typeof resultMessage>;
export type OutputMessage = z.infer<typeof outputMessage>;
export type AckMessage = z.infer<typeof ackMessage>;
export type CallMessage = z.infer<typeof callMessage>;
export type ToolSpec = z.infer<typeof toolSpec>;
export type DriverErrorValue = z.infer<typeof errorValue>;

/** Parse one driver line; a malformed line is reported, never thrown into the event loop. */
export function parseDriverMessage(
  text: string,
): { ok: true; message: DriverMessage } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = driverMessage.safeParse(raw);
  if (!parsed.success) return { ok: false, error: parsed.error.message };
  return { ok: true, message: parsed.data };
}
