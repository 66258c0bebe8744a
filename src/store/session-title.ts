/** The default title of a session: its first user message, on one line, at most 80 characters. */

export const TITLE_MAX_CHARS = 80;

export function titleFromMessage(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  // Count code points, so an emoji at the cut is kept whole or dropped, never split in half.
  const codePoints = Array.from(oneLine);
  if (codePoints.length <= TITLE_MAX_CHARS) return oneLine;
  return codePoints.slice(0, TITLE_MAX_CHARS).join('').trimEnd();
}
