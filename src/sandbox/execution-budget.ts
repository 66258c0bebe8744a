/**
 * What one execution may send the host, counted by the host itself. The driver runs inside the
 * sandbox, where model code can patch it or write protocol lines of its own, so nothing it says
 * about sizes is believed: every output line, fd-level write, result line, host call and
 * unaccepted line is charged here as it arrives, and live output is cut at a fixed cap.
 */

export interface SandboxLimits {
  /** Output per execution: output lines, fd-level output, the result line, lines the host refused. */
  maxOutputBytes: number;
  /** Host-call arguments per execution (the calls' protocol lines). */
  maxCallBytes: number;
  /** Host calls per execution. */
  maxCalls: number;
  /** Longest protocol line the host reads; a longer one restarts the runtime. */
  maxLineBytes: number;
}

const MB = 1024 * 1024;

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  maxOutputBytes: 16 * MB,
  maxCallBytes: 128 * MB,
  maxCalls: 2000,
  maxLineBytes: 64 * MB,
};

/** The given limits, the defaults for the rest. */
export function resolveLimits(given: Partial<SandboxLimits>): SandboxLimits {
  return {
    maxOutputBytes: given.maxOutputBytes ?? DEFAULT_SANDBOX_LIMITS.maxOutputBytes,
    maxCallBytes: given.maxCallBytes ?? DEFAULT_SANDBOX_LIMITS.maxCallBytes,
    maxCalls: given.maxCalls ?? DEFAULT_SANDBOX_LIMITS.maxCalls,
    maxLineBytes: given.maxLineBytes ?? DEFAULT_SANDBOX_LIMITS.maxLineBytes,
  };
}

/** Live output forwarded per execution (the driver's own cap, enforced again here). */
export const LIVE_OUTPUT_BYTES = MB;

/** A call costs at least this much of the call budget: each one is answered, so each costs the host. */
const MIN_CALL_BYTES = 1024;

export function megabytes(bytes: number): string {
  const value = bytes / MB;
  return `${Number.isInteger(value) ? value : value.toFixed(value < 1 ? 2 : 1)} MB`;
}

/**
 * One execution's account. Sizes are string lengths (UTF-16 units): protocol lines are ASCII,
 * so for them that is bytes; decoded fd output is counted per character.
 */
export class ExecutionBudget {
  private outputBytes = 0;
  private callBytes = 0;
  private calls = 0;
  private liveBytes = 0;
  private liveCut = false;
  /** Set once a limit is passed: the error the execution ends with. */
  exceeded?: string;

  constructor(private readonly limits: SandboxLimits) {}

  /** Charges output; returns the part still shown live ('' once the live cap or a limit is hit). */
  output(text: string, bytes = text.length): string {
    this.chargeOutput(bytes);
    if (this.exceeded || this.liveCut) return '';
    const cap = Math.min(LIVE_OUTPUT_BYTES, this.limits.maxOutputBytes);
    const room = cap - this.liveBytes;
    if (text.length <= room) {
      this.liveBytes += text.length;
      return text;
    }
    this.liveCut = true;
    return `${text.slice(0, room)}\n[live output limit of ${megabytes(cap)} reached; the result keeps head and tail]\n`;
  }

  /** A line the host did not accept (malformed, out of turn, a repeat) or the result line. */
  other(bytes: number): void {
    this.chargeOutput(bytes);
  }

  /** Charges a host call; false when it is over the call budget (it must be refused). */
  call(bytes: number): boolean {
    this.calls++;
    this.callBytes += Math.max(bytes, MIN_CALL_BYTES);
    if (!this.exceeded && this.calls > this.limits.maxCalls) {
      this.exceeded = `host-call limit of ${this.limits.maxCalls} calls reached; the execution was stopped. Batch the work (llm_query_batched) or split it over several executions`;
    } else if (!this.exceeded && this.callBytes > this.limits.maxCallBytes) {
      this.exceeded = `host-call limit of ${megabytes(this.limits.maxCallBytes)} of arguments reached; the execution was stopped. Pass smaller pieces, or split the work over several executions`;
    }
    return this.exceeded === undefined;
  }

  private chargeOutput(bytes: number): void {
    this.outputBytes += bytes;
    if (!this.exceeded && this.outputBytes > this.limits.maxOutputBytes) {
      this.exceeded = `output limit of ${megabytes(this.limits.maxOutputBytes)} reached; the execution was stopped. Print less (counts, slices, summaries) or keep results in variables`;
    }
  }
}
