/**
 * One of each: the execution modes, step types and usage are defined once and every layer uses
 * that definition (checked by the compiler), no source file repeats the lists, every server
 * error class extends FleetError, and no code parses a result marker back out of text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ToolResult } from '../../src/agent/tools/tool-result.js';
import { EXECUTION_MODES, type ExecutionMode } from '../../src/contract/client-frames.js';
import { turnSchema } from '../../src/contract/http-schemas.js';
import { executionStep, STEP_TYPES, type StepType } from '../../src/contract/passive-frames.js';
import type { LmResponse } from '../../src/lm/lm-client.js';
import type { RlmResult } from '../../src/rlm/rlm-types.js';
import type { StepRow } from '../../src/store/step-store.js';
import type { TraceRow } from '../../src/store/trace-store.js';
import type { TurnRow } from '../../src/store/turn-store.js';
import type { LmCallRecord } from '../../src/tracing/observer-registry.js';
import type { Usage } from '../../src/util/usage.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}
const sources = sourceFiles(join(ROOT, 'src')).map((path) => ({
  path: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));
const filesMatching = (pattern: RegExp, except: (path: string) => boolean = () => false) =>
  sources.filter(({ path, text }) => !except(path) && pattern.test(text)).map(({ path }) => path);

describe('one definition each', () => {
  it('of the execution modes and step types, used by the store and the HTTP schemas', () => {
    expectTypeOf<TurnRow['executionMode']>().toEqualTypeOf<ExecutionMode>();
    expectTypeOf<StepRow['type']>().toEqualTypeOf<StepType>();
    expect(turnSchema.shape.execution_mode.options).toEqual([...EXECUTION_MODES]);
    expect(executionStep.shape.type.options).toEqual([...STEP_TYPES]);
    const modes = /'auto',\s*'rlm_only',\s*'tools_only'|'auto'\s*\|\s*'rlm_only'/;
    const steps = /'llm',\s*'tool',\s*'repl',\s*'memory',\s*'output'|'llm'\s*\|\s*'tool'\s*\|/;
    expect(filesMatching(modes)).toEqual(['src/contract/client-frames.ts']);
    expect(filesMatching(steps)).toEqual(['src/contract/passive-frames.ts']);
  });

  it('of usage, from an LM call up to a turn and a trace', () => {
    expectTypeOf<LmResponse['usage']>().toEqualTypeOf<Usage>();
    expectTypeOf<LmCallRecord['usage']>().toEqualTypeOf<Usage>();
    expectTypeOf<RlmResult['usage']>().toEqualTypeOf<Usage>();
    expectTypeOf<TurnRow['usage']>().toEqualTypeOf<Usage>();
    expectTypeOf<TraceRow['usage']>().toEqualTypeOf<Usage>();
    // Nobody else prices a call, nor spells a zero usage out.
    expect(filesMatching(/\bcostFor\(/)).toEqual(['src/lm/pricing.ts']);
    expect(filesMatching(/inputTokens:\s*0,\s*outputTokens:\s*0/)).toEqual(['src/util/usage.ts']);
  });

  it('of the error base: every server error class extends FleetError', () => {
    // The clients (a consumer of the wire, whose codes are the server's) and the CLI stand apart.
    const plainErrors = filesMatching(
      /class \w+(<[^>]*>)? extends Error\b/,
      (path) => path.startsWith('src/client/') || path.startsWith('src/cli/'),
    );
    expect(plainErrors).toEqual(['src/contract/fleet-error.ts']);
    expect(filesMatching(/Symbol\.for\('fleet-rlm\./, (path) => path.startsWith('src/client/'))).toEqual([]);
  });
});

describe('results are values', () => {
  it('a tool result narrows on ok', () => {
    const result = {} as ToolResult<string>;
    if (result.ok) expectTypeOf(result.output).toEqualTypeOf<string>();
    else expectTypeOf(result.error).toEqualTypeOf<string>();
  });

  it('no code reads a marker back out of text', () => {
    expect(filesMatching(/startsWith\(\s*'\[(error|partial|ERROR)/i)).toEqual([]);
    expect(filesMatching(/\[partial: \$\{/)).toEqual(['src/rlm/partial-answer.ts']);
    // The failure marker is written once, by renderToolResult.
    expect(filesMatching(/`\[error\] \$\{/)).toEqual([]);
  });
});
