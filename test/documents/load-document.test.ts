/**
 * The upload, pasted-text and URL sources end to end: what each `LoadedDocument` says about its
 * origin, and the limits each source enforces before any extraction happens.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentsConfig } from '../../src/config/config.js';
import { DOCUMENT_PARSE_DEFAULTS } from '../../src/config/config.js';
import { DocumentError } from '../../src/documents/document-error.js';
import { loadFromBytes, loadFromText, loadFromUrl } from '../../src/documents/load-document.js';
import { buildPdf } from './support/build-pdf.js';
import { expectDocumentError } from './support/expect-document-error.js';
import { startTestHttpServer, type TestHttpServer } from './support/test-http-server.js';

const LIMITS: DocumentsConfig = {
  urlMaxBytes: 1024 * 1024,
  urlMaxRedirects: 5,
  urlConnectTimeoutMs: 2_000,
  urlReadTimeoutMs: 5_000,
  urlAllowPrivateNetworks: true,
  ...DOCUMENT_PARSE_DEFAULTS,
};

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('loadFromBytes', () => {
  it('extracts an upload and records its size and detected type', async () => {
    const bytes = buildPdf(['Uploaded page']);
    // Measured first: the upload's memory moves to the parse worker.
    const sizeBytes = bytes.byteLength;
    expect(
      await loadFromBytes(bytes, {
        name: 'doc.pdf',
        mimeType: 'application/octet-stream',
        maxBytes: 10_000,
        limits: LIMITS,
      }),
    ).toEqual({
      name: 'doc.pdf',
      mimeType: 'application/pdf',
      sizeBytes,
      text: 'Uploaded page',
      source: 'upload',
    });
  });

  it('refuses an upload over the limit before reading it', async () => {
    const error = await expectDocumentError(
      loadFromBytes(new Uint8Array(2049), { name: 'huge.bin', maxBytes: 2048, limits: LIMITS }),
      'too_large',
    );
    expect(error.message).toContain('FLEET_UPLOAD_MAX_BYTES');
    expect(error.message).toContain('huge.bin');
  });
});

describe('loadFromText', () => {
  it('keeps pasted text as given and types it by its name', () => {
    expect(loadFromText('notes.md', '\uFEFF# Notes ✓')).toEqual({
      name: 'notes.md',
      mimeType: 'text/markdown',
      // UTF-8 bytes, BOM excluded: '# Notes ' is 8, the check mark 3.
      sizeBytes: 11,
      text: '# Notes ✓',
      source: 'text',
    });
    expect(loadFromText('pasted', 'hello').mimeType).toBe('text/plain');
  });

  it('refuses empty text', () => {
    let caught: unknown;
    try {
      loadFromText('blank', '  \n ');
    } catch (error) {
      caught = error;
    }
    expect(DocumentError.isInstance(caught) && caught.kind).toBe('empty');
  });
});

describe('loadFromUrl', () => {
  it('names the document after the final URL and records it as the source', async () => {
    const pdf = buildPdf(['Fetched page one', 'Fetched page two']);
    server = await startTestHttpServer((request, response: ServerResponse) => {
      if (request.url === '/latest') {
        response.writeHead(302, { location: '/files/Annual%20Report.pdf' });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/pdf' });
      response.end(pdf);
    });
    const loaded = await loadFromUrl(server.url('/latest'), LIMITS);
    expect(loaded).toEqual({
      name: 'Annual Report.pdf',
      mimeType: 'application/pdf',
      sizeBytes: pdf.byteLength,
      text: 'Fetched page one\n\nFetched page two',
      source: server.url('/files/Annual%20Report.pdf'),
    });
  });

  it('uses the Content-Type for HTML and the host name when the path is empty', async () => {
    server = await startTestHttpServer((_request, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<html><body><script>hidden()</script><p>Visible</p></body></html>');
    });
    const loaded = await loadFromUrl(server.url('/'), LIMITS);
    expect(loaded.name).toBe('127.0.0.1');
    expect(loaded.mimeType).toBe('text/html');
    expect(loaded.text).toBe('Visible');
  });

  it('keeps the fetch limits: private addresses stay blocked unless allowed', async () => {
    server = await startTestHttpServer((_request, response: ServerResponse) => response.end('secret'));
    await expectDocumentError(
      loadFromUrl(server.url('/'), { ...LIMITS, urlAllowPrivateNetworks: false }),
      'blocked_address',
    );
    expect(server.connections()).toBe(0);
  });
});
