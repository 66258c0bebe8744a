/** `edit_core_memory`: the agent rewrites or extends one of its three core-memory blocks. */
import { z } from 'zod';
import { CORE_MEMORY_SECTIONS } from '../../sessions/core-memory.js';
import { toolCallNode } from '../agent-events.js';
import type { ToolContext } from './tool-context.js';
import { agentTool, toolFailure, toolSuccess } from './tool-result.js';

export function memoryTool(context: ToolContext) {
  return {
    edit_core_memory: agentTool({
      description:
        'Keep something in core memory, shown in every later turn: `persona` (who you are), `human` (facts about the user), `scratchpad` (notes for the task at hand).',
      inputSchema: z.object({
        section: z.enum(CORE_MEMORY_SECTIONS as [string, ...string[]]),
        content: z.string(),
        mode: z.enum(['replace', 'append']).default('append'),
      }),
      execute: async ({ section, content, mode }, { toolCallId }) => {
        const key = section as (typeof CORE_MEMORY_SECTIONS)[number];
        const edit = await context.session.editCoreMemory(key, content, mode);
        if (!edit.ok) return toolFailure(edit.error);
        context.emit({
          type: 'memory_update',
          section,
          mode,
          content: edit.content,
          parent: toolCallNode(toolCallId),
        });
        return toolSuccess(`${section} is now ${edit.content.length} characters.`);
      },
    }),
  };
}
