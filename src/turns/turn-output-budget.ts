/**
 * The live sandbox output one turn may put in the replay log. `sandbox_output` frames are
 * counted per turn (frames and characters); past either budget they are dropped and one notice
 * frame says so. What the code printed still reaches the model, the trajectory and the trace
 * through the execution results (head and tail), which are bounded on their own.
 */

export interface TurnOutputLimits {
  /** `sandbox_output` frames per turn. */
  maxEvents: number;
  /** Characters of `sandbox_output` text per turn. */
  maxBytes: number;
}

export const DEFAULT_TURN_OUTPUT_LIMITS: TurnOutputLimits = { maxEvents: 2000, maxBytes: 4 * 1024 * 1024 };

export type OutputVerdict = 'emit' | 'notice' | 'drop';

export class TurnOutputBudget {
  private events = 0;
  private bytes = 0;
  private cut = false;

  constructor(private readonly limits: TurnOutputLimits) {}

  /** Whether a frame with `text` may go out: `notice` once, when the budget first runs out. */
  take(text: string): OutputVerdict {
    if (this.cut) return 'drop';
    if (this.events + 1 > this.limits.maxEvents || this.bytes + text.length > this.limits.maxBytes) {
      this.cut = true;
      return 'notice';
    }
    this.events++;
    this.bytes += text.length;
    return 'emit';
  }

  notice(): string {
    const megabytes = Math.round((this.limits.maxBytes / (1024 * 1024)) * 10) / 10;
    return `[live output limit of this turn reached (${this.limits.maxEvents} frames or ${megabytes} MB); further sandbox output is not streamed. Execution results still keep the head and tail of their output.]\n`;
  }
}
