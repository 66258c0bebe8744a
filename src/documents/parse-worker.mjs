// @ts-check
/**
 * Entry of a document parse worker (parse-document.ts starts one per document). The work itself
 * is TypeScript, parse-worker-body.ts: after `npm run build` it is compiled JavaScript beside this
 * file; run from src/ (tests, tsx) there is only the .ts, which tsx's loader compiles on import.
 * tsx is a development dependency, so it is only ever loaded in that second case.
 */
import { existsSync } from 'node:fs';

const compiled = new URL('./parse-worker-body.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./parse-worker-body.ts', import.meta.url).href);
}
