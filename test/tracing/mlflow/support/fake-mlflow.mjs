/**
 * A stand-in for the `mlflow` executable, for fast lifecycle tests of `startLocalMlflow`.
 * Usage: node fake-mlflow.mjs MODE server --host H --port P ... where MODE is
 * `ok` (serves /health OK and /version), `exit` (writes an error and exits 3), `hang` (never
 * listens) or `stubborn` (serves, but ignores SIGTERM, so only SIGKILL stops it).
 */
import { createServer } from 'node:http';

const [mode, ...args] = process.argv.slice(2);
/** @param {string} name */
const option = (name) => args[args.indexOf(name) + 1];

process.stderr.write(`fake mlflow ${mode}: ${args.join(' ')}\n`);
if (mode === 'exit') {
  process.stderr.write('sqlalchemy.exc.OperationalError: unable to open database file\n');
  process.exit(3);
}
if (mode === 'hang') {
  setInterval(() => {}, 1000);
} else {
  if (mode === 'stubborn') process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\n'));
  createServer((request, response) => {
    if (request.url === '/health') response.end('OK');
    else if (request.url === '/version') response.end('3.17.2');
    else response.writeHead(404).end();
  }).listen(Number(option('--port')), option('--host'));
}
