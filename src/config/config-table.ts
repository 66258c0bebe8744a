/**
 * The README's configuration table, generated from the schema: one table per section, one row
 * per variable (with its aliases), its default and what it does. `npm run docs:config` writes
 * it between the markers; a test fails when the README and the schema disagree.
 */
import { configSettings } from './config.js';

export const CONFIG_TABLE_BEGIN = '<!-- config-table:begin -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

export function configTableMarkdown(): string {
  const sections = new Map<string, string[][]>();
  for (const setting of configSettings()) {
    const names = [`\`${setting.env}\``, ...setting.aliases.map((alias) => `(alias \`${alias}\`)`)].join(' ');
    const flags = [setting.secret ? 'secret' : '', setting.editable ? 'runtime setting' : ''].filter(Boolean);
    const notes = flags.length > 0 ? ` *(${flags.join(', ')})*` : '';
    const rows = sections.get(setting.section) ?? [];
    rows.push([names, setting.defaultText, `${setting.doc}${notes}`]);
    sections.set(setting.section, rows);
  }
  const blocks = [...sections].map(
    ([title, rows]) => `### ${title}\n\n${table(['variable', 'default', 'meaning'], rows)}`,
  );
  return `${blocks.join('\n\n')}\n`;
}

/** `readme` with the generated table between the markers (which must be there). */
export function withConfigTable(readme: string): string {
  const begin = readme.indexOf(CONFIG_TABLE_BEGIN);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (begin < 0 || end < begin)
    throw new Error(`README.md needs ${CONFIG_TABLE_BEGIN} … ${CONFIG_TABLE_END}`);
  return `${readme.slice(0, begin + CONFIG_TABLE_BEGIN.length)}\n\n${configTableMarkdown()}\n${readme.slice(end)}`;
}

/** A markdown table with its first two columns padded, so it also reads as plain text. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const width = (column: number) => Math.max(...all.map((row) => row[column]!.length));
  const widths = [width(0), width(1)];
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell)).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} | --- |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
