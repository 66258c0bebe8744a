/** `run_python`: code in the session's own REPL namespace, which persists between turns. */
import { z } from 'zod';
import type { ExecuteResult } from '../../sandbox/sandbox.js';
import { errorMessage } from '../../util/text.js';
import type { ToolContext } from './tool-context.js';
import { agentTool, type ToolResult, toolFailure, toolSuccess } from './tool-result.js';

/** The namespace run_python uses in the session's sandbox. */
export const SESSION_CONTEXT = 'session';

/**
 * One execution as a tool result: what it printed, and when the code raised, a failure whose
 * error is the traceback (rendered after the output).
 */
export function executionResult(result: ExecuteResult): ToolResult<string> {
  const parts: string[] = [];
  if (result.stdout) parts.push(result.stdout.trimEnd());
  if (result.stderr) parts.push(`[stderr]\n${result.stderr.trimEnd()}`);
  if (result.stateLost)
    parts.push('[note] the sandbox restarted: every variable from earlier turns was lost');
  const printed = parts.join('\n');
  if (result.error) {
    const { traceback, type, message } = result.error;
    return toolFailure((traceback || `${type}: ${message}`).trimEnd(), printed);
  }
  return toolSuccess(printed || '(no output; print what you want to see)');
}

export function pythonTool(context: ToolContext) {
  return {
    run_python: agentTool({
      description:
        "Run Python (standard library only) in this session's sandbox and see what it prints. Variables persist between calls and turns (until the sandbox is recycled). For analysis over a long document, prefer delegate_to_rlm.",
      inputSchema: z.object({
        code: z.string().min(1).describe('Python source; print() what you need to see'),
      }),
      execute: async ({ code }, { toolCallId }) => {
        try {
          const { sandbox } = await context.sandbox();
          const result = await sandbox.execute({
            context: SESSION_CONTEXT,
            code,
            maxOutputChars: context.rlmBudgets.maxOutputChars,
            timeoutMs: context.rlmBudgets.executeTimeoutMs,
            signal: context.signal,
            onOutput: (chunk) =>
              context.emit({
                type: 'sandbox_output',
                callId: toolCallId,
                stream: chunk.stream,
                text: chunk.text,
              }),
          });
          return executionResult(result);
        } catch (error) {
          return toolFailure(`the sandbox failed: ${errorMessage(error)}`);
        }
      },
    }),
  };
}
