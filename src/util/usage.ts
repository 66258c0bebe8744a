/**
 * Token usage and cost, once: the `Usage` type every layer passes around (an LM call, an RLM
 * run, a turn, a trace), its zero, its sum and its wire form (`contract/usage-schema.ts`, whose
 * snake_case names the store's columns share). The usage of one LM call, priced, comes from
 * `lm/pricing.ts` `callUsage`, called once per call by the traced model; everyone else adds up
 * what it reported.
 *
 * A leaf module (a type and pure functions, no imports at run time), at the bottom of the layers
 * so the store and tracing can use it.
 */
import type { z } from 'zod';
import type { usageSchema } from '../contract/usage-schema.js';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /**
   * USD. Null when nothing in it has a known price (one call to an unpriced model); a sum adds
   * the priced parts, so a total is a number from the zero on.
   */
  costUsd: number | null;
}

export type WireUsage = z.infer<typeof usageSchema>;

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  costUsd: 0,
});

/** A new total; a part whose price is unknown adds its tokens but no cost. */
export function addUsage(total: Readonly<Usage>, extra: Readonly<Usage>): Usage {
  return {
    inputTokens: total.inputTokens + extra.inputTokens,
    outputTokens: total.outputTokens + extra.outputTokens,
    totalTokens: total.totalTokens + extra.totalTokens,
    costUsd: extra.costUsd === null ? total.costUsd : (total.costUsd ?? 0) + extra.costUsd,
  };
}

/** The wire form (frames, HTTP bodies, store columns); an unknown cost is sent as 0. */
export function toWireUsage(usage: Readonly<Usage>): WireUsage {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    cost_usd: usage.costUsd ?? 0,
  };
}

/** Back from the wire form; tolerant: a missing or non-numeric field reads as 0. */
export function fromWireUsage(wire: Partial<Record<keyof WireUsage, unknown>> | undefined): Usage {
  return {
    inputTokens: numberOr0(wire?.input_tokens),
    outputTokens: numberOr0(wire?.output_tokens),
    totalTokens: numberOr0(wire?.total_tokens),
    costUsd: numberOr0(wire?.cost_usd),
  };
}

function numberOr0(value: unknown): number {
  const number = Number(value ?? 0);
  return Number.isFinite(number) ? number : 0;
}
