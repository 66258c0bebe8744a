/**
 * What an agent tool returns: a typed value, `{ok: true, output}` or `{ok: false, error}`. The
 * agent layer reads it as a value (`ok` in the `tool_result` frame, the TOOL span's status) and
 * renders it to text in one place, `renderToolResult`: what the model reads (through each tool's
 * `toModelOutput`) and what the frame shows. A failure reads `[error] <why>` there; no code
 * parses that marker back.
 */
import { type Tool, tool } from 'ai';

/** A string, or a JSON value (sent to the model as JSON, as the AI SDK would). */
export type ToolOutput = string | JsonObject | JsonValue[];
type JsonValue = null | string | number | boolean | JsonObject | JsonValue[];
type JsonObject = { [key: string]: JsonValue | undefined };

export type ToolResult<Output extends ToolOutput = ToolOutput> =
  | { ok: true; output: Output }
  | {
      ok: false;
      /** Why it failed, in a sentence the model can act on. */
      error: string;
      /** What it produced before failing (run_python's printed output), shown before the error. */
      output?: string;
    };

export function toolSuccess<Output extends ToolOutput>(output: Output): ToolResult<Output> {
  return { ok: true, output };
}

/** A failure is a readable sentence for the model, not a throw. */
export function toolFailure(error: string, output?: string): ToolResult<never> {
  return output ? { ok: false, error, output } : { ok: false, error };
}

const FAILURE_MARKER = '[error]';

/** The result as text: what the model and the `tool_result` frame read. */
export function renderToolResult(result: ToolResult): string {
  if (result.ok) return typeof result.output === 'string' ? result.output : JSON.stringify(result.output);
  const failure = `${FAILURE_MARKER} ${result.error}`;
  return result.output ? `${result.output}\n${failure}` : failure;
}

/** The agent's tools by name: each returns a `ToolResult` (inputs differ, as in the SDK's `ToolSet`). */
// biome-ignore lint/suspicious/noExplicitAny: the tool inputs are each tool's own; the SDK's ToolSet does the same
export type AgentToolSet = Record<string, Tool<any, ToolResult>>;

/**
 * An AI SDK tool whose `execute` returns a `ToolResult`, sent to the model rendered: text, or
 * JSON for a structured success (what the SDK would send for the bare output).
 */
export function agentTool<Input>(definition: Tool<Input, ToolResult>): Tool<Input, ToolResult> {
  return tool<Input, ToolResult>({
    ...definition,
    toModelOutput: ({ output }) =>
      output.ok && typeof output.output !== 'string'
        ? { type: 'json', value: output.output as JsonValue }
        : { type: 'text', value: renderToolResult(output) },
  } as Tool<Input, ToolResult>);
}
