/**
 * Helpers shared by the sandbox tests: the snapshot cache directory, a loopback server that
 * counts every connection (to prove the sandbox never reached it), hashing, and finding the
 * python3 processes a process sandbox runs.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One temp directory for every sandbox test file, so only the first Pyodide start of a run
 * pays for building the memory snapshot. Snapshots are keyed by Pyodide version and a hash of
 * the driver and worker, so a stale one is never used.
 */
export const TEST_CACHE_DIR = join(tmpdir(), 'fleet-rlm-test-cache');

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface LoopbackServer {
  port: number;
  /** TCP connections accepted (an HTTP request, a WebSocket upgrade or a bare connect). */
  hits(): number;
  close(): Promise<void>;
}

export async function startLoopbackServer(): Promise<LoopbackServer> {
  let hits = 0;
  const server: Server = createServer((_request, response) => response.end('reached'));
  server.on('connection', () => {
    hits++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Pids of every process descended from this test process, with their command lines. */
export function descendantProcesses(): Map<number, string[]> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      commands.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
    } catch {
      // the process ended while we looked
    }
  }
  const descends = (pid: number): boolean => {
    for (let current = parents.get(pid); current; current = parents.get(current)) {
      if (current === process.pid) return true;
    }
    return false;
  };
  return new Map([...commands].filter(([pid]) => descends(pid)));
}

/** Pids of the driver interpreters started by this test process (directly or under bwrap). */
export function driverPids(): number[] {
  return [...descendantProcesses()]
    .filter(
      ([, command]) => command.some((part) => part.endsWith('driver.py')) && !command[0]!.endsWith('bwrap'),
    )
    .map(([pid]) => pid);
}
