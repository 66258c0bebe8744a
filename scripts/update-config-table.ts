/** Writes the configuration table generated from the schema into README.md (`npm run docs:config`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/config/config-table.js';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withConfigTable(readFileSync(path, 'utf8')));
process.stdout.write('README.md: configuration table written\n');
