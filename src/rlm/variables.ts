/**
 * What the model is told about each REPL variable: its type, size and a short preview, never
 * the value itself (that is the point of an RLM). `question` is the exception: shown in full.
 */
import type { VariableValue } from '../sandbox/sandbox.js';
import { preview } from '../util/text.js';

const PREVIEW_CHARS = 200;

export function describeVariable(name: string, value: VariableValue): string {
  if (typeof value === 'string') {
    return `- \`${name}\`: str, ${value.length.toLocaleString('en-US')} chars, ${lineCount(value).toLocaleString('en-US')} lines. Preview: ${JSON.stringify(preview(value, PREVIEW_CHARS))}`;
  }
  if (Array.isArray(value)) {
    const strings = value.every((item) => typeof item === 'string');
    if (strings) {
      const items = value as string[];
      const total = items.reduce((sum, item) => sum + item.length, 0);
      const first = items[0] ?? '';
      return `- \`${name}\`: list of ${items.length} str, ${total.toLocaleString('en-US')} chars in all (item lengths: ${lengths(items)}). Preview of ${name}[0]: ${JSON.stringify(preview(first, PREVIEW_CHARS))}`;
    }
    return `- \`${name}\`: list of ${value.length} items. Preview: ${preview(JSON.stringify(value), PREVIEW_CHARS)}`;
  }
  if (value === null) return `- \`${name}\`: None`;
  if (typeof value === 'object') {
    const json = JSON.stringify(value);
    return `- \`${name}\`: dict with keys ${Object.keys(value).slice(0, 20).join(', ')}; ${json.length.toLocaleString('en-US')} chars as JSON. Preview: ${preview(json, PREVIEW_CHARS)}`;
  }
  return `- \`${name}\`: ${typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : 'bool'} = ${String(value)}`;
}

function lineCount(text: string): number {
  let count = 1;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count++;
  return count;
}

function lengths(items: string[]): string {
  const shown = items.slice(0, 10).map((item) => item.length.toLocaleString('en-US'));
  return items.length > 10 ? `${shown.join(', ')}, …` : shown.join(', ');
}
