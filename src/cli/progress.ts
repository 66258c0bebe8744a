/**
 * Live progress of an RLM run on stderr: on a terminal, one status line redrawn in place
 * (turn, sub-model calls used of budget, depth, elapsed, what is happening); otherwise one
 * plain line per finished turn and per child run, so logs stay readable.
 */
import type { RlmEvent } from '../rlm/rlm-types.js';
import { preview } from '../util/text.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class RunProgress {
  private readonly started = performance.now();
  private readonly tty: boolean;
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private turn = 0;
  private depth = 0;
  private llmCallsUsed = 0;
  private doing = 'starting the sandbox';
  private tokens = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly budgets: { maxIterations: number; maxLlmCalls: number },
  ) {
    this.tty = Boolean(out.isTTY);
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 120);
      this.timer.unref();
    }
  }

  note(text: string): void {
    this.doing = text;
    if (!this.tty) this.line(text);
  }

  onEvent(event: RlmEvent): void {
    this.depth = event.depth;
    switch (event.type) {
      case 'iteration_started':
        if (event.depth === 0) this.turn = event.iteration;
        this.doing = event.depth === 0 ? 'thinking' : `child ${event.runId} thinking`;
        break;
      case 'lm_call':
        this.llmCallsUsed = event.llmCallsUsed;
        this.tokens += event.usage.totalTokens;
        break;
      case 'callback_started':
        this.doing = `${event.name}(${preview(event.args, 40)})`;
        break;
      case 'iteration_finished':
        this.llmCallsUsed = event.llmCallsUsed;
        this.doing = 'running code';
        if (!this.tty && event.depth === 0) this.line(`turn ${event.record.iteration} done`);
        break;
      case 'run_started':
        if (event.depth > 0) {
          this.doing = `child run ${event.runId} started`;
          if (!this.tty) this.line(`child run ${event.runId} (depth ${event.depth}) started`);
        }
        break;
      case 'run_finished':
        if (!this.tty && event.depth > 0) {
          this.line(`child run ${event.runId} (depth ${event.depth}) ended: ${event.termination.reason}`);
        }
        break;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.tty) this.out.write('\r\x1b[2K');
  }

  private status(): string {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    return `turn ${this.turn}/${this.budgets.maxIterations} · sub-calls ${this.llmCallsUsed}/${this.budgets.maxLlmCalls} · depth ${this.depth} · ${this.tokens.toLocaleString('en-US')} tokens · ${seconds}s`;
  }

  private draw(): void {
    const spinner = SPINNER[this.frame++ % SPINNER.length];
    const width = Math.max(40, (this.out.columns ?? 100) - 1);
    this.out.write(`\r\x1b[2K${`${spinner} ${this.status()} · ${this.doing}`.slice(0, width)}`);
  }

  private line(text: string): void {
    this.out.write(`[fleet-rlm] ${this.status()} · ${text}\n`);
  }
}
