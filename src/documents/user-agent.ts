/** The fixed User-Agent of URL document fetches: `fleet-rlm/<package version>`. */
import { readFileSync } from 'node:fs';

// Two levels up from both `src/documents/` and `dist/documents/` is the package root.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const USER_AGENT = `fleet-rlm/${version}`;
