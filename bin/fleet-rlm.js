#!/usr/bin/env node
// Runs the built CLI (npm install builds it; `npm run build` rebuilds).
import { main } from '../dist/cli/main.js';

await main(process.argv);
