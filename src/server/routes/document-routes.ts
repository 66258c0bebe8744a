/**
 * A session's documents over HTTP: add one (multipart field `file`, or JSON `{name, text}` or
 * `{url}`; the newest becomes the active one), list, delete, and make one active. Text is
 * extracted on the way in (PDF, DOCX, HTML, text); the agent and RLMs only ever see text.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FleetError } from '../../contract/fleet-error.js';
import {
  addDocumentBody,
  documentList,
  documentParams,
  documentSchema,
  errorBody,
  sessionParams,
  toDocument,
} from '../../contract/http-schemas.js';
import { loadFromBytes, loadFromText, loadFromUrl } from '../../documents/load-document.js';
import type { LoadedDocument } from '../../documents/loaded-document.js';
import type { ServerContext } from '../server-context.js';

export function documentRoutes(context: ServerContext): FastifyPluginAsyncZod {
  const { sessions, config } = context;
  return async (app) => {
    app.post(
      '/api/v1/sessions/:id/documents',
      {
        schema: {
          tags: ['documents'],
          description:
            'Add a document: multipart/form-data with a `file` field (and optional `alias`), or JSON `{name, text}` or `{url}`.',
          params: sessionParams,
          // No body schema: a multipart body would fail it. JSON bodies are parsed below.
          response: {
            201: documentSchema,
            400: errorBody,
            404: errorBody,
            413: errorBody,
            415: errorBody,
            422: errorBody,
          },
        },
      },
      async (request, reply) => {
        const session = await sessions.open(request.auth.identity, request.params.id);
        let loaded: LoadedDocument;
        let alias: string | undefined;
        if (request.isMultipart()) {
          const file = await request.file();
          if (file?.fieldname !== 'file')
            throw new FleetError('missing_file', 'send the document in a multipart field named `file`');
          const bytes = await file.toBuffer();
          const aliasField = file.fields.alias;
          alias = aliasField && 'value' in aliasField ? String(aliasField.value) : undefined;
          loaded = await loadFromBytes(bytes, {
            name: file.filename || 'upload',
            mimeType: file.mimetype,
            maxBytes: config.server.maxUploadBytes,
            limits: config.documents,
          });
        } else {
          const parsed = addDocumentBody.safeParse(request.body);
          if (!parsed.success) {
            throw new FleetError('invalid_request', 'send multipart `file`, or JSON {name, text} or {url}', {
              details: {
                issues: parsed.error.issues.map((issue) => ({
                  path: issue.path.join('.'),
                  message: issue.message,
                })),
              },
            });
          }
          const body = parsed.data;
          alias = body.alias;
          loaded =
            'text' in body
              ? loadFromText(body.name, body.text)
              : await loadFromUrl(body.url, config.documents);
        }
        const meta = await session.documents.add(loaded, alias);
        return reply.status(201).send(toDocument(meta, meta.id));
      },
    );

    app.get(
      '/api/v1/sessions/:id/documents',
      {
        schema: {
          tags: ['documents'],
          params: sessionParams,
          response: { 200: documentList, 404: errorBody },
        },
      },
      async (request) => {
        const session = await sessions.open(request.auth.identity, request.params.id);
        const documents = await session.documents.list();
        return {
          items: documents.map((document) => toDocument(document, session.documents.activeDocumentId)),
        };
      },
    );

    app.delete(
      '/api/v1/sessions/:id/documents/:doc_id',
      {
        schema: { tags: ['documents'], params: documentParams, response: { 204: z.null(), 404: errorBody } },
      },
      async (request, reply) => {
        const session = await sessions.open(request.auth.identity, request.params.id);
        await session.documents.remove(await session.documents.get(request.params.doc_id));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/sessions/:id/documents/:doc_id/activate',
      {
        schema: {
          tags: ['documents'],
          params: documentParams,
          response: { 200: documentSchema, 404: errorBody },
        },
      },
      async (request) => {
        const session = await sessions.open(request.auth.identity, request.params.id);
        const document = await session.documents.get(request.params.doc_id);
        await session.documents.activate(document);
        return toDocument(document, document.id);
      },
    );
  };
}
