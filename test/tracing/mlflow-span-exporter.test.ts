/**
 * The MLflow span exporter against a real HTTP server on loopback: what one export sends, and
 * each way it can fail (an error status with its body, nothing listening, no answer) counted
 * and reported to the status so tracing to MLflow pauses; and nothing sent while MLflow is not
 * ready. The real MLflow ingest is covered by turn-tracing.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { type MlflowExportGate, MlflowSpanExporter } from '../../src/tracing/mlflow-span-exporter.js';
import { oneSpan } from './mlflow/support/ingest-trace.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: Buffer;
  url: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

async function listen(
  answer: (response: ServerResponse) => void,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks), url: request.url ?? '' });
      answer(response);
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, received };
}

function gateFor(url: string | undefined) {
  const failures: string[] = [];
  const gate: MlflowExportGate = {
    exportTarget: async () => (url ? { url, headers: { 'x-mlflow-experiment-id': '7' } } : undefined),
    markExportFailure: (reason) => failures.push(reason),
    recheck: () => {},
  };
  return { gate, failures };
}

function exportOnce(exporter: MlflowSpanExporter, spans: ReadableSpan[]) {
  return new Promise<{ code: ExportResultCode; error?: Error }>((done) => exporter.export(spans, done));
}

describe('MlflowSpanExporter', () => {
  it('posts the spans as OTLP protobuf with the experiment header', async () => {
    const { url, received } = await listen((response) => response.writeHead(200).end());
    const { gate, failures } = gateFor(url);
    const exporter = new MlflowSpanExporter(gate);
    const spans = [...oneSpan(), ...oneSpan()];
    for (let i = 0; i < 3; i++)
      expect((await exportOnce(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(received).toHaveLength(3);
    expect(received[0]).toMatchObject({
      url: '/v1/traces',
      headers: { 'content-type': 'application/x-protobuf', 'x-mlflow-experiment-id': '7' },
    });
    // The same bytes the OTLP serializer makes (span ids differ per call, so compare lengths).
    expect(received[0]!.body.byteLength).toBe(ProtobufTraceSerializer.serializeRequest(spans)!.byteLength);
    expect(received[0]!.headers['content-length']).toBe(String(received[0]!.body.byteLength));
    expect(exporter.exported).toBe(6);
    expect(failures).toEqual([]);
  });

  it('fails with the status and the start of the body on an error answer', async () => {
    const { url } = await listen((response) =>
      response
        .writeHead(501, { 'content-type': 'text/plain' })
        .end(`OTLP ingestion is not supported${'.'.repeat(5000)}`),
    );
    const { gate, failures } = gateFor(url);
    const exporter = new MlflowSpanExporter(gate);
    const result = await exportOnce(exporter, oneSpan());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^MLflow answered 501 to OTLP export: OTLP ingestion is not supported\.+$/);
    expect(failures[0]!.length).toBeLessThan(400);
    expect(exporter.failed).toBe(1);
  });

  it('fails clearly when nothing listens, and when the server never answers', async () => {
    const { url } = await listen(() => {}); // reads the request, never answers
    const closedPort = (await listen((response) => response.end())).url;
    await new Promise((done) => servers.pop()!.close(done));
    const refused = gateFor(closedPort);
    const refusedResult = await exportOnce(new MlflowSpanExporter(refused.gate), oneSpan());
    expect(refusedResult.code).toBe(ExportResultCode.FAILED);
    expect(refused.failures[0]).toContain(`OTLP export to ${closedPort} failed: `);
    expect(refused.failures[0]).toContain('ECONNREFUSED');

    const hung = gateFor(url);
    const started = Date.now();
    const hungResult = await exportOnce(new MlflowSpanExporter(hung.gate, 300), oneSpan());
    expect(hungResult.code).toBe(ExportResultCode.FAILED);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(hung.failures[0]).toContain('no answer within 300 ms');
  });

  it('sends nothing and counts the spans as dropped while MLflow is not ready', async () => {
    const { gate, failures } = gateFor(undefined);
    const exporter = new MlflowSpanExporter(gate);
    expect((await exportOnce(exporter, oneSpan())).code).toBe(ExportResultCode.SUCCESS);
    expect(exporter.dropped).toBe(1);
    expect(exporter.exported).toBe(0);
    expect(failures).toEqual([]);
  });
});
