/**
 * What a sandbox interpreter still runs besides its main thread, read from /proc by the host
 * (never asked of the driver): threads (model code's `threading.Thread`) and live descendant
 * processes (`subprocess`, `os.fork`). Zombies do not count: they run nothing. Where /proc is
 * missing nothing is reported. Without bubblewrap a process that detaches itself (double fork,
 * new session) leaves the interpreter's family and is not seen; under bubblewrap the interpreter
 * is the namespace's init, so orphans stay its children.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface LeftoverWork {
  threads: number;
  processes: number;
}

export function leftoverWork(pid: number): LeftoverWork | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined; // gone, or no /proc here
  }
  return { threads: tasks.length - 1, processes: liveDescendants(pid, tasks) };
}

export function describeLeftovers(work: LeftoverWork | undefined): string | undefined {
  if (!work) return undefined;
  const parts: string[] = [];
  if (work.threads > 0) parts.push(`${work.threads} thread${work.threads === 1 ? '' : 's'}`);
  if (work.processes > 0) parts.push(`${work.processes} child process${work.processes === 1 ? '' : 'es'}`);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

function liveDescendants(pid: number, tasks: string[]): number {
  const direct = childrenFromTasks(pid, tasks);
  if (direct && direct.length === 0) return 0; // the cheap answer, where the kernel offers it
  const parents = new Map<number, number>();
  const live = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    const candidate = Number(entry);
    if (!Number.isInteger(candidate)) continue;
    const stat = readStat(candidate);
    if (!stat) continue;
    parents.set(candidate, stat.parent);
    if (stat.state !== 'Z' && stat.state !== 'X') live.add(candidate);
  }
  let count = 0;
  for (const candidate of live) {
    for (let parent = parents.get(candidate); parent; parent = parents.get(parent)) {
      if (parent === pid) {
        count++;
        break;
      }
    }
  }
  return count;
}

/** Children per /proc/<pid>/task/<tid>/children, when the kernel has that file. */
function childrenFromTasks(pid: number, tasks: string[]): number[] | undefined {
  const children: number[] = [];
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
      children.push(...text.split(' ').filter(Boolean).map(Number));
    } catch {
      return undefined;
    }
  }
  return children;
}

function readStat(pid: number): { state: string; parent: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', parent: Number(fields[1]) };
  } catch {
    return undefined; // ended while we looked
  }
}
