/** Small text helpers shared by prompts, trajectories and progress output. */

/** The first `max` characters, with a marker saying how many were left out. */
export function preview(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [${text.length - max} more chars]`;
}

/** Keeps the head and tail of `text` within `max` characters. */
export function headTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n... (${text.length - 2 * half} characters omitted) ...\n${text.slice(-half)}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
