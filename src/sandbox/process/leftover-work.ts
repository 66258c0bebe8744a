/**
 * What a sandbox interpreter still runs besides its main thread, read from /proc by the host
 * (never asked of the driver): threads (model code's `threading.Thread`) and live child
 * processes (`subprocess`, `os.fork`). Zombies do not count: they run nothing. Direct children
 * are enough: a live grandchild keeps its parent's slot, or, orphaned under bubblewrap, becomes
 * the interpreter's child (it is the namespace's init). Without bubblewrap a process that
 * detaches itself (double fork) leaves the family and is not seen. Where /proc is missing
 * nothing is reported.
 *
 * Cost: a readdir of the interpreter's tasks, plus its `children` files where the kernel has
 * them (CONFIG_PROC_CHILDREN, on in the usual distribution kernels); elsewhere one read of
 * every /proc/<pid>/stat (about 0.2 ms per hundred processes, measured on an idle machine).
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
  const listed = childrenFromTasks(pid, tasks);
  const processes = listed
    ? listed.filter((child) => isLive(readStat(child)?.state)).length
    : childrenByScan(pid);
  return { threads: tasks.length - 1, processes };
}

export function describeLeftovers(work: LeftoverWork | undefined): string | undefined {
  if (!work) return undefined;
  const parts: string[] = [];
  if (work.threads > 0) parts.push(`${work.threads} thread${work.threads === 1 ? '' : 's'}`);
  if (work.processes > 0) parts.push(`${work.processes} child process${work.processes === 1 ? '' : 'es'}`);
  return parts.length > 0 ? parts.join(' and ') : undefined;
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

function childrenByScan(pid: number): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    const candidate = Number(entry);
    if (!Number.isInteger(candidate) || candidate === pid) continue;
    const stat = readStat(candidate);
    if (stat?.parent === pid && isLive(stat.state)) count++;
  }
  return count;
}

function isLive(state: string | undefined): boolean {
  return state !== undefined && state !== 'Z' && state !== 'X';
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
