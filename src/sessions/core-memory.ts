/**
 * Core memory: three short text blocks the agent keeps about itself (persona), the user (human)
 * and the task at hand (scratchpad), shown in every planner prompt and edited by a tool.
 */
import type { CoreMemory } from '../store/store.js';

export const CORE_MEMORY_LIMITS: Record<keyof CoreMemory, number> = {
  persona: 2000,
  human: 2000,
  scratchpad: 1000,
};
export const CORE_MEMORY_SECTIONS = Object.keys(CORE_MEMORY_LIMITS) as Array<keyof CoreMemory>;

export const DEFAULT_CORE_MEMORY: CoreMemory = {
  persona:
    'I am fleet-rlm, an assistant that answers questions over long documents by delegating to Recursive Language Models.',
  human: '',
  scratchpad: '',
};

/** What the agent sees: a block never written yet falls back to its default (the persona). */
export function effectiveCoreMemory(memory: CoreMemory): CoreMemory {
  return {
    persona: memory.persona || DEFAULT_CORE_MEMORY.persona,
    human: memory.human || DEFAULT_CORE_MEMORY.human,
    scratchpad: memory.scratchpad || DEFAULT_CORE_MEMORY.scratchpad,
  };
}

export type MemoryEdit = { ok: true; memory: CoreMemory; content: string } | { ok: false; error: string };

export function editCoreMemory(
  memory: CoreMemory,
  section: keyof CoreMemory,
  content: string,
  mode: 'replace' | 'append',
): MemoryEdit {
  const next = mode === 'append' && memory[section] ? `${memory[section]}\n${content}` : content;
  const limit = CORE_MEMORY_LIMITS[section];
  if (next.length > limit) {
    return {
      ok: false,
      error: `${section} would be ${next.length} characters; the limit is ${limit}. Shorten it or replace instead of appending.`,
    };
  }
  return { ok: true, memory: { ...memory, [section]: next }, content: next };
}
