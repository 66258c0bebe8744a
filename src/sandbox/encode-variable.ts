/**
 * Turns a REPL variable into a `set_var` message: small values inline, text as bytes beside
 * the message (a 100 MB string must never become a JSON string or a structured clone).
 *
 * Text whose characters all fit in one byte (ASCII and Latin-1, which V8 already stores one
 * byte per character) travels as Latin-1: encoding is a copy on the host and decoding is a copy
 * in Python, where UTF-8 would cost a transcoding pass on each side. Anything else is UTF-8.
 */
import type { SetVarMessage } from './driver-protocol.js';
import type { VariableValue } from './sandbox.js';

const INLINE_LIMIT = 4096;

export interface EncodedVariable {
  fields: Pick<SetVarMessage, 'kind'> & Partial<Pick<SetVarMessage, 'value' | 'byte_lengths' | 'encoding'>>;
  payload?: Uint8Array;
}

/** True when every UTF-16 unit is <= 0xFF; V8 answers this at once for one-byte strings. */
function isLatin1(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the class is "any unit above 0xFF"
  return !/[^\x00-\xff]/.test(text);
}

function encodeTexts(items: string[]): {
  payload: Uint8Array;
  byteLengths: number[];
  encoding: 'latin-1' | 'utf-8';
} {
  const encoding = items.every(isLatin1) ? 'latin-1' : 'utf-8';
  const byteLengths = items.map((item) =>
    encoding === 'latin-1' ? item.length : Buffer.byteLength(item, 'utf8'),
  );
  const payload = Buffer.allocUnsafeSlow(byteLengths.reduce((sum, length) => sum + length, 0));
  let offset = 0;
  items.forEach((item, index) => {
    payload.write(item, offset, encoding === 'latin-1' ? 'latin1' : 'utf8');
    offset += byteLengths[index]!;
  });
  return { payload, byteLengths, encoding };
}

export function encodeVariable(value: VariableValue): EncodedVariable {
  if (typeof value === 'string') {
    if (value.length <= INLINE_LIMIT) return { fields: { kind: 'str', value } };
    const { payload, encoding } = encodeTexts([value]);
    return { fields: { kind: 'str', encoding }, payload };
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    const items = value as string[];
    const total = items.reduce((sum, item) => sum + item.length, 0);
    if (total <= INLINE_LIMIT) return { fields: { kind: 'json', value: items } };
    const { payload, byteLengths, encoding } = encodeTexts(items);
    return { fields: { kind: 'str_list', byte_lengths: byteLengths, encoding }, payload };
  }
  const json = JSON.stringify(value ?? null);
  if (json.length <= INLINE_LIMIT) return { fields: { kind: 'json', value: value ?? null } };
  return { fields: { kind: 'json' }, payload: new TextEncoder().encode(json) };
}
