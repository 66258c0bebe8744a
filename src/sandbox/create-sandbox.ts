/**
 * Builds a sandbox for the configured provider. Providers are loaded only when chosen, so the
 * default never pulls in what another provider needs.
 */
import { DriverSandbox, type DriverSandboxOptions } from './driver-sandbox.js';
import type { Sandbox, SandboxProvider } from './sandbox.js';
import { SandboxError } from './sandbox-error.js';

export interface SandboxSettings extends DriverSandboxOptions {
  provider: SandboxProvider;
  /** Memory cap per sandbox in MB (wasm heap for pyodide, address space for process). */
  memoryLimitMb?: number;
  /** Cache directory for the Pyodide memory snapshot. */
  cacheDir?: string;
  python?: string;
  bubblewrap?: 'auto' | 'required' | 'off';
}

export async function createSandbox(settings: SandboxSettings): Promise<Sandbox> {
  switch (settings.provider) {
    case 'pyodide': {
      const { pyodideTransportFactory } = await import('./pyodide/pyodide-transport.js');
      const factory = pyodideTransportFactory({
        cacheDir: settings.cacheDir,
        memoryLimitMb: settings.memoryLimitMb,
      });
      return new DriverSandbox('pyodide', factory, settings);
    }
    case 'process': {
      const { processTransportFactory } = await import('./process/process-transport.js');
      const factory = processTransportFactory({
        python: settings.python,
        memoryLimitMb: settings.memoryLimitMb,
        bubblewrap: settings.bubblewrap,
      });
      return new DriverSandbox('process', factory, settings);
    }
    case 'daytona':
      throw new SandboxError(
        'unavailable',
        'the daytona sandbox provider is not implemented yet; use SANDBOX_PROVIDER=pyodide or process',
      );
  }
}
