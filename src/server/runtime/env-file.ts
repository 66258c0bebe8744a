/**
 * Edits a `.env` file in place of a person: the given keys get new values (every existing
 * `KEY=` or `export KEY=` line for them is rewritten, new keys are appended), every other line
 * and comment stays as it was, and the file is replaced atomically (a temporary file in the same
 * directory, fsync, rename), so a crash leaves the old file or the new one, never half of each.
 * Values are quoted so that `node:util` parseEnv (what `loadEnvFile` uses) reads them back
 * exactly; one that cannot be written that way is refused.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseEnv } from 'node:util';

/** The file's text, or undefined when there is none. */
export async function readEnvText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function parseEnvText(text: string | undefined): Record<string, string> {
  return text ? (parseEnv(text) as Record<string, string>) : {};
}

/** `KEY=value` with the value quoted as needed; undefined when parseEnv could not read it back. */
export function formatEnvLine(key: string, value: string): string | undefined {
  const candidates = /^[\w./:@+,=~%-]*$/.test(value) ? [value] : [`'${value}'`, `"${value}"`, `\`${value}\``];
  for (const candidate of candidates) {
    const line = `${key}=${candidate}`;
    if ((parseEnv(line) as Record<string, string>)[key] === value) return line;
  }
  return undefined;
}

/** The new text: `lines` (already formatted by formatEnvLine) replace or join `text`. */
export function applyEnvLines(text: string | undefined, lines: Map<string, string>): string {
  const eol = text?.includes('\r\n') ? '\r\n' : '\n';
  const existing = text ? text.split(/\r?\n/) : [];
  if (existing.at(-1) === '') existing.pop();
  const written = new Set<string>();
  const result = existing.map((line) => {
    const match = /^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    const key = match?.[2];
    if (!key || !lines.has(key)) return line;
    written.add(key);
    return `${match[1] ?? ''}${lines.get(key)}`;
  });
  for (const [key, line] of lines) if (!written.has(key)) result.push(line);
  return `${result.join(eol)}${eol}`;
}

/** Replaces the file atomically, keeping its mode (new files are 0600: they hold keys). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const mode = await stat(target).then(
    (info) => info.mode & 0o777,
    () => 0o600,
  );
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

/** Puts back what `readEnvText` returned before a change (deleting a file that did not exist). */
export async function restoreEnvText(path: string, previous: string | undefined): Promise<void> {
  if (previous === undefined) await unlink(path).catch(() => {});
  else await writeFileAtomic(path, previous);
}
