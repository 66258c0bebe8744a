/**
 * Pyodide memory snapshots for a fast cold start (~0.5 s instead of ~3 s). The snapshot API is
 * private to Pyodide, so a snapshot is keyed by the exact Pyodide version and a hash of the
 * driver and worker; a stale or unreadable snapshot is discarded and the worker loads plainly.
 * One copy is kept in a SharedArrayBuffer so every worker reads it without a copy.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export function pyodideVersion(): string {
  return (require('pyodide/package.json') as { version: string }).version;
}

export class SnapshotCache {
  private shared?: Uint8Array;
  private building = false;
  readonly path: string;

  constructor(cacheDir: string, driverSource: string, workerSource: string) {
    const hash = createHash('sha256').update(driverSource).update(workerSource).digest('hex').slice(0, 16);
    this.path = join(cacheDir, `pyodide-${pyodideVersion()}-${hash}.snapshot`);
  }

  /** The snapshot to start from, if one exists. */
  get(): Uint8Array | undefined {
    if (this.shared) return this.shared;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path);
    } catch {
      return undefined;
    }
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    this.shared = shared;
    return shared;
  }

  /** True for the one worker that should build the snapshot while it starts. */
  claimBuild(): boolean {
    if (this.shared || this.building) return false;
    this.building = true;
    return true;
  }

  save(bytes: Uint8Array): void {
    this.building = false;
    try {
      mkdirSync(join(this.path, '..'), { recursive: true });
      const temp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temp, bytes);
      renameSync(temp, this.path);
    } catch {
      // a read-only data dir only costs start-up time
    }
  }

  /** Forget a snapshot the worker could not use. */
  discard(): void {
    this.shared = undefined;
    this.building = false;
    rmSync(this.path, { force: true });
  }

  buildFailed(): void {
    this.building = false;
  }
}
