// @ts-check
/**
 * Benchmark helper: one viewer socket per session, in its own thread, recording how long each
 * frame took from emit (the time in its text, `tick <ms>`) to arrival. Reports the latencies when asked.
 * Plain JavaScript so the worker needs no loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

/** @type {{ url: string, sessions: Array<[string, number]> }} */
const { url, sessions } = workerData;
/** @type {number[]} */
const latencies = [];
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

await Promise.all(
  sessions.map(
    ([sessionId, sinceSeq]) =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.once('error', reject);
        socket.once('open', () => {
          socket.send(JSON.stringify({ type: 'resume', session_id: sessionId, since_seq: sinceSeq }));
          resolve(undefined);
        });
        socket.on('message', (data) => {
          const sentAt = Number(/"text":"tick ([\d.]+)"/.exec(String(data))?.[1]);
          if (sentAt) latencies.push(performance.timeOrigin + performance.now() - sentAt);
        });
      }),
  ),
);
port.postMessage('connected');
port.on('message', () => port.postMessage(latencies));
