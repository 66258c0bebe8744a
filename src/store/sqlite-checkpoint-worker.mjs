// @ts-check
/**
 * Checkpoints the SQLite write-ahead log from its own thread and connection. The store's
 * connection never checkpoints (wal_autocheckpoint = 0): a checkpoint there would stall the
 * event loop for milliseconds in the middle of delivering frames. PASSIVE checkpoints never
 * block the writer. Plain JavaScript so the worker needs no loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** @type {{ path: string, intervalMs: number }} */
const { path, intervalMs } = workerData;
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const database = new Database(path);
database.pragma('busy_timeout = 1000');

/** @param {string} mode */
function checkpoint(mode) {
  try {
    database.pragma(`wal_checkpoint(${mode})`);
  } catch {
    // busy or closing: the next round catches up
  }
}

const timer = setInterval(() => checkpoint('PASSIVE'), intervalMs);
port.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint('TRUNCATE');
  database.close();
  port.postMessage('stopped');
});
