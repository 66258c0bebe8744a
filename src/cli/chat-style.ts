/**
 * Colours for `fleet-rlm chat`: ANSI only when the stream is a terminal and NO_COLOR is not
 * set (https://no-color.org: any non-empty value turns colour off), so piped output and logs
 * stay plain text.
 */

export interface ChatStyle {
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
}

export function colourEnabled(stream: { isTTY?: boolean }, noColor: string | undefined): boolean {
  return stream.isTTY === true && !noColor;
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

export function chatStyle(enabled: boolean): ChatStyle {
  if (!enabled) {
    const plain = (text: string) => text;
    return { dim: plain, red: plain, yellow: plain, cyan: plain, green: plain };
  }
  return {
    dim: wrap(2, 22),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    green: wrap(32, 39),
  };
}
