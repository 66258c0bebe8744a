/**
 * What keeps the configuration in one place: the README's configuration table is generated from
 * the schema (and names exactly its variables), and only `src/config/` reads `process.env`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSettings } from '../../src/config/config.js';
import { CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, configTableMarkdown } from '../../src/config/config-table.js';

const ROOT = join(import.meta.dirname, '..', '..');

function readmeTable(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const begin = readme.indexOf(CONFIG_TABLE_BEGIN);
  const end = readme.indexOf(CONFIG_TABLE_END);
  expect(begin, `README.md has no ${CONFIG_TABLE_BEGIN} marker`).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(begin);
  return readme.slice(begin + CONFIG_TABLE_BEGIN.length, end).trim();
}

describe('the README configuration table', () => {
  it('is the one generated from the schema (regenerate with npm run docs:config)', () => {
    expect(readmeTable()).toBe(configTableMarkdown().trim());
  });

  it('names every variable of the schema, and no variable the schema does not read', () => {
    const inReadme = new Set(
      readmeTable()
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .flatMap((line) =>
          [...(line.split(' | ')[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
        ),
    );
    const inSchema = new Set(configSettings().flatMap((setting) => [setting.env, ...setting.aliases]));
    expect([...inReadme].filter((name) => !inSchema.has(name!))).toEqual([]);
    expect([...inSchema].filter((name) => !inReadme.has(name))).toEqual([]);
  });
});

describe('process.env', () => {
  it('is read only under src/config/', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, index) => {
              const code = line.trim();
              if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return;
              if (/\bprocess\.env\b/.test(code)) offenders.push(`${relative(ROOT, path)}:${index + 1}`);
            });
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders.filter((where) => !where.startsWith('src/config/'))).toEqual([]);
  });
});
