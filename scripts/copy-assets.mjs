// Copies the non-TypeScript runtime files (the Python driver, the worker entries) next to the
// compiled modules in dist/, where the code looks for them.
import { cpSync } from 'node:fs';

for (const path of [
  'sandbox/driver/driver.py',
  'sandbox/pyodide/worker.mjs',
  'sandbox/pyodide/harden.mjs',
  'store/sqlite-checkpoint-worker.mjs',
  'documents/parse-worker.mjs',
]) {
  cpSync(new URL(`../src/${path}`, import.meta.url), new URL(`../dist/${path}`, import.meta.url));
}
