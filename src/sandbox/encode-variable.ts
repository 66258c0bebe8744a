/**
 * Turns a REPL variable into a `set_var` message: small values inline, text as UTF-8 bytes
 * beside the message (a 100 MB string must never become a JSON string or a structured clone).
 */
import type { SetVarMessage } from './driver-protocol.js';
import type { VariableValue } from './sandbox.js';

const INLINE_LIMIT = 4096;

export interface EncodedVariable {
  fields: Pick<SetVarMessage, 'kind'> & Partial<Pick<SetVarMessage, 'value' | 'byte_lengths'>>;
  payload?: Uint8Array;
}

export function encodeVariable(value: VariableValue): EncodedVariable {
  if (typeof value === 'string') {
    if (value.length <= INLINE_LIMIT) return { fields: { kind: 'str', value } };
    return { fields: { kind: 'str' }, payload: new TextEncoder().encode(value) };
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    const items = value as string[];
    const total = items.reduce((sum, item) => sum + item.length, 0);
    if (total <= INLINE_LIMIT) return { fields: { kind: 'json', value: items } };
    const byteLengths = items.map((item) => Buffer.byteLength(item, 'utf8'));
    const payload = new Uint8Array(byteLengths.reduce((sum, length) => sum + length, 0));
    const encoder = new TextEncoder();
    let offset = 0;
    items.forEach((item, index) => {
      encoder.encodeInto(item, payload.subarray(offset));
      offset += byteLengths[index]!;
    });
    return { fields: { kind: 'str_list', byte_lengths: byteLengths }, payload };
  }
  const json = JSON.stringify(value ?? null);
  if (json.length <= INLINE_LIMIT) return { fields: { kind: 'json', value: value ?? null } };
  return { fields: { kind: 'json' }, payload: new TextEncoder().encode(json) };
}
