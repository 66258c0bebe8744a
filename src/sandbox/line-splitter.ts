/**
 * NDJSON framing: turns a byte stream into lines without re-scanning what it already scanned,
 * so a 10 MB protocol line costs one pass.
 */
export class LineSplitter {
  private parts: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, newline);
      const line =
        this.parts.length > 0
          ? Buffer.concat([...this.parts, piece]).toString('utf8')
          : piece.toString('utf8');
      this.parts = [];
      start = newline + 1;
      if (line.trim()) this.onLine(line);
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
  }
}
