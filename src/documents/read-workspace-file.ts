/**
 * Reading a file of a session's workspace, and nothing outside it. The workspace is shared with
 * sandbox code, which can create symbolic links, so a path is judged by where it really leads:
 * a lexical check first (`..` and absolute paths elsewhere are refused without touching the
 * disk, so probing reveals nothing), then `realpath` (a symlink leading out is refused), then the
 * opened descriptor itself (on Linux, `/proc/self/fd`), which closes the window in which a
 * directory could be swapped for a symlink between the check and the open.
 */
import { constants } from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DocumentError } from './document-error.js';
import { formatBytes } from './format-bytes.js';

export interface WorkspaceFile {
  bytes: Uint8Array;
  /** Where the file really is, relative to the workspace root, with `/` separators. */
  relativePath: string;
}

export async function readWorkspaceFile(
  workspaceRoot: string,
  requestedPath: string,
  maxBytes: number,
): Promise<WorkspaceFile> {
  if (requestedPath.includes('\0')) throw notFound(requestedPath, 'it is not a valid path');
  const lexicalRoot = resolve(workspaceRoot);
  const realRoot = await realpath(lexicalRoot).catch(() => {
    throw new DocumentError(
      'not_found',
      `The session's workspace folder does not exist yet; create a file in it first.`,
    );
  });
  const candidate = resolve(lexicalRoot, requestedPath);
  if (!isInside(candidate, lexicalRoot) && !isInside(candidate, realRoot)) throw outside(requestedPath, 'is');

  const realPath = await realpath(candidate).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP'
      ? notFound(requestedPath, 'its symbolic links form a loop')
      : notFound(requestedPath, 'there is no such file in the workspace');
  });
  if (!isInside(realPath, realRoot)) throw outside(requestedPath, 'leads (through a symbolic link)');

  // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  const handle = await open(realPath, flags).catch(() => {
    throw notFound(requestedPath, 'it could not be opened');
  });
  try {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    if (opened !== undefined && !isInside(opened, realRoot)) throw outside(requestedPath, 'leads');
    const stats = await handle.stat();
    if (!stats.isFile())
      throw notFound(requestedPath, 'it is a directory or a special file, not a regular file');
    if (stats.size > maxBytes) throw tooLarge(requestedPath, stats.size, maxBytes);
    // Read at most one byte past the limit: the file may grow while we read.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(requestedPath, length, maxBytes);
    return {
      bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, length),
      relativePath: relative(realRoot, realPath).split(sep).join('/'),
    };
  } finally {
    await handle.close();
  }
}

function isInside(path: string, root: string): boolean {
  const fromRoot = relative(root, path);
  return fromRoot === '' || (fromRoot !== '..' && !fromRoot.startsWith(`..${sep}`) && !isAbsolute(fromRoot));
}

function outside(requestedPath: string, verb: string): DocumentError {
  return new DocumentError(
    'outside_workspace',
    `'${requestedPath}' ${verb} outside the session's workspace; only files inside the workspace can be ` +
      'loaded. Give a path relative to the workspace, or upload the file instead.',
  );
}

function notFound(requestedPath: string, why: string): DocumentError {
  return new DocumentError(
    'not_found',
    `Cannot load '${requestedPath}' from the workspace: ${why}. List the workspace to find the right path.`,
  );
}

function tooLarge(requestedPath: string, size: number, maxBytes: number): DocumentError {
  return new DocumentError(
    'too_large',
    `'${requestedPath}' is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} document limit; ` +
      'split it or load a smaller part.',
  );
}
