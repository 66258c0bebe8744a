/**
 * `fleet-rlm run` as a user runs it: the built bin in a child process, configured through the
 * environment, talking to a scripted OpenAI-compatible server over HTTP.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserMessage, ROOT_MODEL, SMALL_MODEL, tempDir, turn, turns } from '../support/rlm-harness.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';

const BIN = new URL('../../bin/fleet-rlm.js', import.meta.url).pathname;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', HOME: workDir, FLEET_DATA_DIR: join(workDir, 'data'), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

let server: ScriptedLmServer;
let workDir: string;
let modelEnv: Record<string, string>;

beforeAll(async () => {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  server = await ScriptedLmServer.start();
  workDir = tempDir();
  modelEnv = {
    DSPY_LM_MODEL: `openai/${ROOT_MODEL}`,
    DSPY_DELEGATE_LM_SMALL_MODEL: `openai/${SMALL_MODEL}`,
    DSPY_LLM_API_KEY: 'sk-cli-test',
    DSPY_LM_API_BASE: server.baseUrl,
    SANDBOX_PROVIDER: 'process',
  };
});

afterAll(async () => {
  await server?.close();
});

describe('fleet-rlm run', () => {
  it('answers a needle question over a 5 MB file without ever sending the file', async () => {
    const lines = Array.from(
      { length: 110_000 },
      (_, i) => `row ${i}: status=ok latency=${(i * 7) % 500}ms region=eu-${i % 5}`,
    );
    lines.splice(71_234, 0, 'row X: status=FAILED owner=alice@example.com reason=disk full');
    const file = join(workDir, 'big.log');
    writeFileSync(file, lines.join('\n'));
    const size = readFileSync(file).length;
    expect(size).toBeGreaterThan(5_000_000);
    server.script([
      ...turns(ROOT_MODEL, [
        turn("import re\nhit = re.search(r'^.*status=FAILED.*$', context, re.M).group(0)\nprint(hit)"),
        turn("who = llm_query('Who owns the failed row? ' + hit)\nSUBMIT(answer=who)"),
      ]),
      {
        model: SMALL_MODEL,
        reply: (request) =>
          lastUserMessage(request).includes('owner=alice@example.com') ? 'alice@example.com' : '?',
      },
    ]);
    const trajectory = join(workDir, 'run.jsonl');
    const run = await cli(
      ['run', 'Who owns the failed row?', '--context', file, '--trajectory', trajectory],
      modelEnv,
    );
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('alice@example.com\n');
    expect(server.unmatched).toEqual([]);
    for (const request of server.requests) expect(request.bodyBytes).toBeLessThan(50_000);
    expect(run.stderr).toMatch(/\[fleet-rlm\] turn 1\/30 · sub-calls 0\/50 · depth 0 .* turn 1 done/);
    expect(run.stderr).toContain('[fleet-rlm] submitted: 2 turns · 1 sub-calls');
    const jsonl = readFileSync(trajectory, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(jsonl.map((line) => line.type)).toEqual(['metadata', 'iteration', 'iteration', 'result']);
    expect(jsonl[3]).toMatchObject({ status: 'completed', answer: 'alice@example.com' });
  });

  it('takes several contexts as a list, and stdin with -', async () => {
    server.script(
      turns(ROOT_MODEL, [turn("SUBMIT(answer=f'{type(context).__name__}:{len(context)}:{context[1]}')")]),
    );
    const a = join(workDir, 'a.txt');
    writeFileSync(a, 'first document');
    const run = await cli(['run', 'How many?', '-c', a, '-c', '-', '--json'], modelEnv, 'second ✓ document');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ answer: 'list:2:second ✓ document', status: 'completed', iterations: 1 });
    expect(result.trajectory).toBeUndefined();
    expect(lastUserMessage(server.requests[0]!)).toContain('`context`: list of 2 str');
  });

  it('prints the partial answer and exits 3 when a budget runs out', async () => {
    server.script([
      {
        model: ROOT_MODEL,
        match: (request) => request.messages[0]!.content.startsWith('An RLM run stopped'),
        reply: '{"answer": "partial"}',
      },
      { model: ROOT_MODEL, reply: turn("print('still looking')") },
    ]);
    const file = join(workDir, 'small.txt');
    writeFileSync(file, 'tiny');
    const run = await cli(['run', 'q', '--context', file, '--max-iterations', '1', '--quiet'], modelEnv);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('partial\n');
    expect(run.stderr).toContain('partial answer (max_iterations): no SUBMIT after 1 turns');
  });

  it('fails clearly without a model, with a missing file, a bad flag or a bad variable', async () => {
    server.script([]);
    const file = join(workDir, 'small.txt');
    const noModel = await cli(['run', 'q', '--context', file], { SANDBOX_PROVIDER: 'process' });
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toContain('set DSPY_LM_MODEL');
    const missing = await cli(['run', 'q', '--context', join(workDir, 'nope.txt')], modelEnv);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read context file');
    expect(missing.stderr).toContain('no such file');
    const badFlag = await cli(['run', 'q', '--context', file, '--max-iterations', 'many'], modelEnv);
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.stderr).toContain("option '--max-iterations <n>' argument 'many' is invalid");
    const badEnv = await cli(['run', 'q', '--context', file], { ...modelEnv, RLM_MAX_DEPTH: 'deep' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain("RLM_MAX_DEPTH must be an integer >= 0; got 'deep'");
    expect(server.requests).toHaveLength(0);
  });
});
