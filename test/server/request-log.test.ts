/**
 * The request log: probes and status polling (`/health`, `/ready`, `/api/v1/runtime/status`,
 * `/metrics`) are written at debug, so a load balancer or a Workbench polling every second does
 * not flood the info log; every other request is still logged at info.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/server-harness.js';

const POLLED = ['/health', '/ready', '/api/v1/runtime/status', '/metrics'];

interface LogLine {
  level: number;
  msg: string;
  req?: { url?: string };
  reqId?: string;
}

/** GET `path`, returning the status (the bodies are JSON or Prometheus text). */
async function get(harness: Harness, path: string): Promise<number> {
  const response = await fetch(`${harness.url}${path}`);
  await response.arrayBuffer();
  return response.status;
}

/** A harness whose request log is kept as parsed JSON lines. */
async function loggingHarness(level: 'info' | 'debug'): Promise<{ harness: Harness; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const harness = await startHarness(
    {},
    {
      logger: {
        level,
        stream: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
      },
    },
  );
  return { harness, lines };
}

/** The log lines of the requests to `path`: fastify names the URL on the incoming line only. */
function linesFor(lines: LogLine[], path: string): LogLine[] {
  const ids = new Set(lines.filter((line) => line.req?.url === path).map((line) => line.reqId));
  return lines.filter((line) => line.reqId !== undefined && ids.has(line.reqId));
}

const INFO = 30;
const DEBUG = 20;

describe('the request log at info', () => {
  let harness: Harness;
  let lines: LogLine[];

  beforeAll(async () => {
    ({ harness, lines } = await loggingHarness('info'));
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('leaves out probes and status polling, and still logs other requests', async () => {
    for (let round = 0; round < 3; round++) {
      for (const path of POLLED) expect(await get(harness, path)).toBeLessThan(500);
    }
    expect(await get(harness, '/api/v1/sessions')).toBe(200);

    for (const path of POLLED) {
      expect(
        lines.filter((line) => line.req?.url === path),
        path,
      ).toEqual([]);
    }
    const sessions = linesFor(lines, '/api/v1/sessions');
    expect(sessions.map((line) => [line.level, line.msg])).toEqual([
      [INFO, 'incoming request'],
      [INFO, 'request completed'],
    ]);
  });
});

describe('the request log at debug', () => {
  let harness: Harness;
  let lines: LogLine[];

  beforeAll(async () => {
    ({ harness, lines } = await loggingHarness('debug'));
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('has the polled requests, at debug', async () => {
    for (const path of POLLED) expect(await get(harness, path)).toBeLessThan(500);
    for (const path of POLLED) {
      const mine = linesFor(lines, path);
      expect(
        mine.map((line) => [line.level, line.msg]),
        path,
      ).toEqual([
        [DEBUG, 'incoming request'],
        [DEBUG, 'request completed'],
      ]);
    }
  });
});
