/**
 * `npm run bench`: every benchmark of the RLM core, printed as figures beside their targets and
 * their in-run baselines. Not a test: numbers vary with the machine; nothing here fails a build.
 */
import { benchDocuments } from './documents-bench.js';
import { benchBatch, benchIterationOverhead } from './rlm-bench.js';
import { benchBridge, benchContextLoad, benchExecute, benchSessionReady } from './sandbox-bench.js';
import { benchFanOut, benchManySessions, benchTurnOverhead } from './server-bench.js';
import { type Figure, printFigures } from './stats.js';
import { benchTracingCost } from './tracing-bench.js';

const benches: Record<string, (figures: Figure[]) => Promise<void>> = {
  execute: benchExecute,
  bridge: benchBridge,
  context: benchContextLoad,
  iteration: benchIterationOverhead,
  batch: benchBatch,
  ready: benchSessionReady,
  fanout: benchFanOut,
  sessions: benchManySessions,
  turn: benchTurnOverhead,
  tracing: benchTracingCost,
  documents: benchDocuments,
};

const only = process.argv.slice(2);
const figures: Figure[] = [];
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`running ${name}...\n`);
  await bench(figures);
}
console.log(`fleet-rlm benchmarks · node ${process.version} · ${new Date().toISOString()}`);
printFigures(figures);
process.exit(0);
