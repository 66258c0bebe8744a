/**
 * Bytes of a text document to a string: UTF-8 unless a UTF-16 byte order mark says otherwise,
 * the BOM itself dropped, and invalid sequences replaced with U+FFFD instead of failing, since a
 * mostly readable log or CSV is more useful to the agent than an error.
 */
export function decodeText(bytes: Uint8Array): string {
  const encoding =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? 'utf-16le'
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? 'utf-16be'
        : 'utf-8';
  // `ignoreBOM: false` (the default) is what strips the BOM.
  return new TextDecoder(encoding, { fatal: false, ignoreBOM: false }).decode(bytes);
}

/** Whether bytes of unknown type look like text: no NUL in the first 8 KB (or a UTF-16 BOM). */
export function looksLikeText(bytes: Uint8Array): boolean {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return true;
  return !bytes.subarray(0, 8192).includes(0);
}
