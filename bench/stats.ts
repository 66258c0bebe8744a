/** Tiny statistics and formatting helpers for the benchmarks. */
import { readFileSync, writeFileSync } from 'node:fs';

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (samples: number[]) => percentile(samples, 50);

export const mean = (samples: number[]) => samples.reduce((sum, value) => sum + value, 0) / samples.length;

export function ms(value: number): string {
  return value < 1
    ? `${(value * 1000).toFixed(0)} µs`
    : value < 1000
      ? `${value.toFixed(2)} ms`
      : `${(value / 1000).toFixed(2)} s`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

export interface Figure {
  bench: string;
  figure: string;
  value: string;
  target?: string;
  ok?: boolean;
}

export function printFigures(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.bench,
    f.figure,
    f.value,
    f.target ? `${f.target} ${f.ok ? 'ok' : 'MISSED'}` : '',
  ]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length), 4));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}

/** Peak RSS since the last reset (Linux: VmHWM, reset through /proc/self/clear_refs). */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function peakRssBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}
