/**
 * HTML to the text a reader sees, through html-to-text: scripts, styles, navigation and images
 * dropped, link text kept without its URL, headings kept as written, no hard line wrapping (the
 * agent reads it, not a terminal).
 */
import { compile } from 'html-to-text';
import { decodeText } from './decode-text.js';

const SKIPPED = ['script', 'style', 'noscript', 'template', 'nav', 'img', 'svg', 'iframe', 'object', 'head'];

// Compiled once: html-to-text builds its selector matcher per options object.
const toText = compile({
  wordwrap: false as const,
  selectors: [
    ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
    { selector: 'a', options: { ignoreHref: true } },
    // Every table as a data table (aligned columns); the default runs the cells together.
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: 80 } },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
  ],
});

export function extractHtmlText(bytes: Uint8Array): string {
  return toText(decodeText(bytes));
}
