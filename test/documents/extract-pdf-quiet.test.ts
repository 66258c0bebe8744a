/**
 * pdf.js must not write to the console: not when it loads (this file is the first to import it
 * in its worker, so the import-time checks run here), not while reading a PDF, not on a damaged
 * one (where it would normally warn "Indexing all PDF objects").
 */
import { afterEach, expect, it, vi } from 'vitest';
import { buildPdf } from './support/build-pdf.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('loads pdf.js and reads good and damaged PDFs without console output', async () => {
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation(() => {}),
  );
  const stdout = vi.spyOn(process.stdout, 'write');
  const { extractText } = await import('../../src/documents/extract-text.js');

  const good = await extractText(buildPdf(['Quiet page']), { name: 'quiet.pdf' });
  expect(good.text).toBe('Quiet page');
  // A broken xref makes pdf.js fall back to scanning the file, which it normally warns about.
  const badXref = Buffer.from(buildPdf(['Recovered']))
    .toString('latin1')
    .replace(/startxref\n\d+/, 'startxref\n9');
  const recovered = await extractText(new Uint8Array(Buffer.from(badXref, 'latin1')), {
    name: 'recovered.pdf',
  });
  expect(recovered.text).toBe('Recovered');
  await expect(extractText(buildPdf(['x']).slice(0, 100), { name: 'broken.pdf' })).rejects.toThrow(
    'Invalid PDF structure',
  );

  for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  expect(stdout).not.toHaveBeenCalled();
});
