/**
 * Writes that share a key run one after another, in call order; writes with different keys run
 * at once. The step log needs it on Postgres: its pool runs two overlapping inserts on two
 * connections, so the second could take the lower ordinal and list before the first.
 */
export class OrderedWrites {
  /** The last write per key, settled or not; removed once it settles with nothing queued behind. */
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, write: () => Promise<T>): Promise<T> {
    // A failed write fails its own caller only; the next one still runs.
    const result = (this.tails.get(key) ?? Promise.resolve()).then(write);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a write queued or running (for tests: the map must not grow without bound). */
  get size(): number {
    return this.tails.size;
  }
}
