/**
 * What clients send on `/api/v1/ws/execution`: `message`, `cancel`, `command` and `resume`, as
 * one zod union over `type`. The server parses every inbound frame with `clientFrame`
 * (`safeParse`: a bad frame is answered with `invalid_frame`, never thrown), and the Node client
 * validates with it before sending.
 */
import { z } from 'zod';

/** How a message is answered: the agent decides (`auto`), an RLM alone, or the agent without delegation. */
export const EXECUTION_MODES = ['auto', 'rlm_only', 'tools_only'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

export const messageFrame = z.object({
  type: z.literal('message'),
  content: z.string().trim().min(1, 'content is empty'),
  session_id: z.string().min(1).optional(),
  client_message_id: z.string().min(1).max(200).optional(),
  execution_mode: z.enum(EXECUTION_MODES).optional(),
  /** Document ids to make available (the newest becomes the active one). */
  documents: z.array(z.string().min(1)).max(50).optional(),
});

export const cancelFrame = z.object({ type: z.literal('cancel'), session_id: z.string().min(1).optional() });

export const commandFrame = z.object({
  type: z.literal('command'),
  command: z.string().min(1),
  args: z.record(z.string(), z.unknown()).optional(),
  session_id: z.string().min(1).optional(),
});

export const resumeFrame = z.object({
  type: z.literal('resume'),
  session_id: z.string().min(1),
  since_seq: z.number().int().nonnegative(),
});

export const clientFrame = z.discriminatedUnion('type', [
  messageFrame,
  cancelFrame,
  commandFrame,
  resumeFrame,
]);

export type MessageFrame = z.infer<typeof messageFrame>;
export type CancelFrame = z.infer<typeof cancelFrame>;
export type CommandFrame = z.infer<typeof commandFrame>;
export type ResumeFrame = z.infer<typeof resumeFrame>;
export type ClientFrame = z.infer<typeof clientFrame>;
