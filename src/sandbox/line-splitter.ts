/**
 * NDJSON framing: turns a byte stream into lines without re-scanning what it already scanned,
 * so a 10 MB protocol line costs one pass. A line longer than the cap is given up on as soon as
 * it passes the cap: its bytes are dropped, not buffered, until the next newline.
 */
export interface LineSplitterOptions {
  maxLineBytes: number;
  /** Called once per line that passes the cap, with the bytes seen of it so far. */
  onOversized(bytes: number): void;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private buffered = 0;
  private discarding = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly options: LineSplitterOptions,
  ) {}

  /** Bytes held for the line in progress. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, newline);
      start = newline + 1;
      if (this.discarding) {
        this.discarding = false; // the end of a line already given up on
        continue;
      }
      if (this.buffered + piece.length > this.options.maxLineBytes) {
        this.drop(this.buffered + piece.length);
        this.discarding = false;
        continue;
      }
      const line =
        this.parts.length > 0
          ? Buffer.concat([...this.parts, piece]).toString('utf8')
          : piece.toString('utf8');
      this.parts = [];
      this.buffered = 0;
      if (line.trim()) this.onLine(line);
    }
    if (start >= chunk.length || this.discarding) return;
    const rest = chunk.subarray(start);
    if (this.buffered + rest.length > this.options.maxLineBytes) {
      this.drop(this.buffered + rest.length);
      return;
    }
    this.parts.push(rest);
    this.buffered += rest.length;
  }

  private drop(seen: number): void {
    this.parts = [];
    this.buffered = 0;
    this.discarding = true;
    this.options.onOversized(seen);
  }
}
