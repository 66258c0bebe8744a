/** Token usage and cost on the wire (snake_case), shared by frames, turns and traces. */
import { z } from 'zod';

export const usageSchema = z.object({
  input_tokens: z.number(),
  output_tokens: z.number(),
  total_tokens: z.number(),
  cost_usd: z.number(),
});
