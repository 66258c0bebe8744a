/**
 * `loadFromWorkspace` on a real directory tree: files inside the workspace load; `..`, absolute
 * paths elsewhere and symlinks leading out are refused as outside_workspace (even when the target
 * does not exist, so probing reveals nothing); missing files, directories and FIFOs are not_found.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_PARSE_DEFAULTS } from '../../src/config/config.js';
import { loadFromWorkspace } from '../../src/documents/load-document.js';
import { buildDocx } from './support/build-docx.js';
import { expectDocumentError } from './support/expect-document-error.js';

const LIMIT = { maxBytes: 1024 * 1024, limits: DOCUMENT_PARSE_DEFAULTS };
let base: string;
let root: string;
let outsideFile: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'fleet-documents-')));
  root = join(base, 'workspace');
  mkdirSync(join(root, 'notes', 'deep'), { recursive: true });
  writeFileSync(join(root, 'notes', 'deep', 'plan.md'), '# Plan\nShip it.');
  writeFileSync(join(root, 'letter.docx'), buildDocx(['Dear reader']));
  writeFileSync(join(root, 'big.txt'), 'x'.repeat(2048));
  outsideFile = join(base, 'secret.txt');
  writeFileSync(outsideFile, 'server secret');
  mkdirSync(join(base, 'elsewhere'));
  writeFileSync(join(base, 'elsewhere', 'other.txt'), 'other secret');
  symlinkSync(outsideFile, join(root, 'link-out.txt'));
  symlinkSync(join(base, 'elsewhere'), join(root, 'dir-out'));
  symlinkSync(join(root, 'notes', 'deep', 'plan.md'), join(root, 'link-in.md'));
  symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'));
  symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('inside the workspace', () => {
  it('loads a nested file', async () => {
    expect(await loadFromWorkspace(root, 'notes/deep/plan.md', LIMIT)).toEqual({
      name: 'plan.md',
      mimeType: 'text/markdown',
      sizeBytes: 15,
      text: '# Plan\nShip it.',
      source: 'workspace:notes/deep/plan.md',
    });
  });

  it('extracts documents too, and accepts an absolute path inside the root', async () => {
    const loaded = await loadFromWorkspace(root, join(root, 'letter.docx'), LIMIT);
    expect(loaded.text.trim()).toBe('Dear reader');
    expect(loaded.source).toBe('workspace:letter.docx');
  });

  it('follows a symlink that stays inside, reporting where it really leads', async () => {
    const loaded = await loadFromWorkspace(root, 'link-in.md', LIMIT);
    expect(loaded.text).toBe('# Plan\nShip it.');
    expect(loaded.source).toBe('workspace:notes/deep/plan.md');
  });

  it('allows .. that stays inside the root', async () => {
    const loaded = await loadFromWorkspace(root, 'notes/deep/../deep/plan.md', LIMIT);
    expect(loaded.source).toBe('workspace:notes/deep/plan.md');
  });

  it('refuses a file over the size limit', async () => {
    const error = await expectDocumentError(
      loadFromWorkspace(root, 'big.txt', { ...LIMIT, maxBytes: 1024 }),
      'too_large',
    );
    expect(error.message).toContain('2 KB');
  });
});

describe('outside the workspace', () => {
  it.each([['../secret.txt'], ['notes/../../secret.txt'], ['../does-not-exist.txt'], ['..']])(
    'refuses the traversal %s',
    async (path) => {
      const error = await expectDocumentError(loadFromWorkspace(root, path, LIMIT), 'outside_workspace');
      expect(error.message).toContain('outside');
    },
  );

  it('refuses absolute paths outside the root', async () => {
    await expectDocumentError(loadFromWorkspace(root, outsideFile, LIMIT), 'outside_workspace');
    await expectDocumentError(loadFromWorkspace(root, '/etc/passwd', LIMIT), 'outside_workspace');
  });

  it('refuses a symlink to a file outside, and a path through a symlinked directory', async () => {
    const error = await expectDocumentError(
      loadFromWorkspace(root, 'link-out.txt', LIMIT),
      'outside_workspace',
    );
    expect(error.message).toContain('symbolic link');
    await expectDocumentError(loadFromWorkspace(root, 'dir-out/other.txt', LIMIT), 'outside_workspace');
  });
});

describe('not found', () => {
  it('reports a missing file', async () => {
    const error = await expectDocumentError(loadFromWorkspace(root, 'notes/missing.md', LIMIT), 'not_found');
    expect(error.message).toContain('notes/missing.md');
  });

  it('reports a directory, the root itself and a symlink loop', async () => {
    await expectDocumentError(loadFromWorkspace(root, 'notes', LIMIT), 'not_found');
    await expectDocumentError(loadFromWorkspace(root, '.', LIMIT), 'not_found');
    const loop = await expectDocumentError(loadFromWorkspace(root, 'loop-a', LIMIT), 'not_found');
    expect(loop.message).toContain('loop');
  });

  it('reports a missing workspace root', async () => {
    await expectDocumentError(loadFromWorkspace(join(base, 'no-such-root'), 'a.txt', LIMIT), 'not_found');
  });

  const hasMkfifo = (() => {
    try {
      execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasMkfifo)('refuses a FIFO without blocking on it', async () => {
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const error = await expectDocumentError(loadFromWorkspace(root, 'pipe', LIMIT), 'not_found');
    expect(error.message).toContain('not a regular file');
  });
});
