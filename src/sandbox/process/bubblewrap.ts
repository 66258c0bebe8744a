/**
 * Optional OS-level isolation for the `process` sandbox: when bubblewrap (`bwrap`) is
 * installed and works here, python3 runs with no network, a read-only system, and only its
 * private working directory writable. Without it the process sandbox is not isolated at all.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PythonInstall {
  executable: string;
  /** Directories the interpreter needs to read (its prefix and base prefix). */
  roots: string[];
  version: string;
}

const pythonCache = new Map<string, Promise<PythonInstall>>();

/** Resolve `python3` (through pyenv shims and the like) to the real interpreter and its roots. */
export function locatePython(python: string): Promise<PythonInstall> {
  let cached = pythonCache.get(python);
  if (!cached) {
    cached = (async () => {
      const script =
        'import sys, json; print(json.dumps([sys.executable, sys.prefix, sys.base_prefix, sys.version.split()[0]]))';
      let stdout: string;
      try {
        ({ stdout } = await run(python, ['-c', script], { timeout: 15_000 }));
      } catch (error) {
        throw new Error(
          `cannot run '${python}' (${(error as Error).message}); install Python 3.11+ or set SANDBOX_PYTHON`,
        );
      }
      const [executable, prefix, basePrefix, version] = JSON.parse(stdout) as string[];
      const [major, minor] = (version ?? '0.0').split('.').map(Number);
      if ((major ?? 0) < 3 || (major === 3 && (minor ?? 0) < 11)) {
        throw new Error(`the process sandbox needs Python >= 3.11, but '${python}' is ${version}`);
      }
      return { executable: executable!, roots: [...new Set([prefix!, basePrefix!])], version: version! };
    })();
    cached.catch(() => pythonCache.delete(python));
    pythonCache.set(python, cached);
  }
  return cached;
}

let probe: Promise<boolean> | undefined;

/** True when `bwrap` exists and can create namespaces on this machine (checked once). */
export function bubblewrapUsable(): Promise<boolean> {
  probe ??= (async () => {
    if (!findBwrap()) return false;
    try {
      await run('bwrap', [...systemBinds(), '--unshare-all', '--die-with-parent', '/bin/true'], {
        timeout: 10_000,
      });
      return true;
    } catch {
      return false;
    }
  })();
  return probe;
}

function findBwrap(): boolean {
  return ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'].some((path) => existsSync(path));
}

function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp'];
  for (const dir of ['bin', 'lib', 'lib64', 'sbin']) {
    if (existsSync(`/${dir}`)) args.push('--ro-bind', `/${dir}`, `/${dir}`);
  }
  for (const file of ['/etc/ld.so.cache', '/etc/localtime']) {
    if (existsSync(file)) args.push('--ro-bind', file, file);
  }
  return args;
}

/** bwrap arguments that run `python` on the driver with only `workDir` writable. */
export function bubblewrapArgs(
  install: PythonInstall,
  driverDir: string,
  workDir: string,
  infoFd: number,
): string[] {
  const args = [...systemBinds()];
  for (const root of install.roots) {
    if (!root.startsWith('/usr/')) args.push('--ro-bind', root, root);
  }
  args.push(
    '--ro-bind',
    driverDir,
    driverDir,
    '--bind',
    workDir,
    workDir,
    '--chdir',
    workDir,
    '--unshare-all',
    // Python itself is pid 1 of the namespace, so SIGINT reaches it (it has a handler).
    '--as-pid-1',
    '--hostname',
    'sandbox',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--info-fd',
    String(infoFd),
  );
  return args;
}
