/**
 * The settings of the work itself: RLM budgets, the sandboxes, the chat agent, document
 * loading and parsing, the event log, and per-user limits. Defaults are safe for one machine.
 */
import { bool, choice, int, positiveNumber, seconds, text } from './env-values.js';
import { section, setting } from './setting.js';

export const SANDBOX_PROVIDERS = ['pyodide', 'process', 'daytona'] as const;
const MB = 1024 * 1024;

/** The document parse limits when nothing is configured (also the in-thread `extractText` default). */
export const DOCUMENT_PARSE_DEFAULTS = {
  maxInflatedBytes: 200 * MB,
  maxCompressionRatio: 100,
  parseTimeoutMs: 20_000,
  workerHeapMb: 1024,
  maxParallelParses: 2,
  maxQueuedParses: 16,
} as const;

export const rlmSettings = section('RLM', {
  /** LM calls of one run's own loop (each run, root or child, has this cap). */
  maxIterations: setting({
    env: 'RLM_MAX_ITERATIONS',
    value: int(1),
    default: 30,
    doc: 'LM calls of one run (root or child)',
  }),
  /** Sub-LM calls shared by the whole tree: `llm_query` items and child-run LM calls. */
  maxLlmCalls: setting({
    env: 'RLM_MAX_LLM_CALLS',
    value: int(0),
    default: 50,
    doc: 'sub-LM calls shared by the whole run tree (`llm_query` items and child-run LM calls)',
  }),
  maxDepth: setting({
    env: 'RLM_MAX_DEPTH',
    value: int(0),
    default: 2,
    doc: 'deepest `sub_rlm` nesting; deeper calls become `llm_query`',
  }),
  maxOutputChars: setting({
    env: 'RLM_MAX_OUTPUT_CHARS',
    value: int(100),
    default: 10_000,
    doc: 'output of a code block shown to the model (head + tail)',
  }),
  runTimeoutMs: setting({ env: 'RLM_RUN_TIMEOUT', value: seconds(), doc: 'seconds a whole run may take' }),
  maxTokens: setting({ env: 'RLM_MAX_TOKENS', value: int(1), doc: 'token budget of a run tree' }),
  maxCostUsd: setting({ env: 'RLM_MAX_COST', value: positiveNumber(), doc: 'USD budget of a run tree' }),
  batchConcurrency: setting({
    env: 'RLM_BATCH_CONCURRENCY',
    value: int(1),
    default: 8,
    doc: 'fan-out of `llm_query_batched`',
  }),
  subRlmConcurrency: setting({
    env: 'RLM_SUB_RLM_CONCURRENCY',
    value: int(1),
    default: 4,
    doc: 'fan-out of `sub_rlm_batched`',
  }),
  executeTimeoutMs: setting({
    env: 'RLM_EXECUTE_TIMEOUT',
    value: seconds(),
    default: 120_000,
    doc: 'seconds one code block may run',
  }),
});

export const sandboxSettings = section('Sandboxes', {
  provider: setting({
    env: 'SANDBOX_PROVIDER',
    value: choice(SANDBOX_PROVIDERS),
    default: 'pyodide',
    doc: '`pyodide` or `process` (`daytona` is planned; its credentials are under Daytona below)',
  }),
  warm: setting({
    env: 'SANDBOX_WARM_POOL',
    value: int(0),
    default: 1,
    doc: 'never-used sandboxes kept started',
  }),
  maxLive: setting({ env: 'SANDBOX_MAX_LIVE', value: int(1), default: 4, doc: 'live sandboxes at most' }),
  idleTimeoutMs: setting({
    env: 'SANDBOX_IDLE_TIMEOUT',
    value: seconds(),
    default: 600_000,
    doc: "seconds after which a session's idle sandbox is destroyed (at once when a turn waits for a slot)",
  }),
  memoryLimitMb: setting({
    env: 'SANDBOX_MEMORY_MB',
    value: int(64),
    default: 2048,
    doc: 'memory cap per sandbox (wasm heap, or RLIMIT_AS for `process`)',
  }),
  python: setting({
    env: 'SANDBOX_PYTHON',
    value: text(),
    default: 'python3',
    doc: 'interpreter of the `process` sandbox',
  }),
  bubblewrap: setting({
    env: 'SANDBOX_BWRAP',
    value: choice(['auto', 'required', 'off'] as const),
    default: 'auto',
    doc: '`auto` (use bubblewrap when it works), `required`, `off`',
  }),
  /** Output one execution may send (all streams, result, refused lines); past it the code is stopped. */
  maxOutputBytes: setting({
    env: 'SANDBOX_MAX_OUTPUT_BYTES',
    value: int(64 * 1024, { bytes: true }),
    default: 16 * MB,
    doc: 'output one execution may send, counted on the host (all streams, fd-level writes, forged lines, the result); past it the code is stopped with `output limit of N MB reached`; 1 MB of it is streamed live',
  }),
  /** Host-call arguments one execution may send. */
  maxCallBytes: setting({
    env: 'SANDBOX_MAX_CALL_BYTES',
    value: int(64 * 1024, { bytes: true }),
    default: 128 * MB,
    doc: 'size of the host-call arguments one execution may send; past it the code is stopped',
  }),
  maxCalls: setting({
    env: 'SANDBOX_MAX_CALLS',
    value: int(1),
    default: 2000,
    doc: 'host calls (`llm_query`, tools, …) one execution may make; past it the code is stopped',
  }),
  /** Longest protocol line read from a sandbox; a longer one restarts it. */
  maxLineBytes: setting({
    env: 'SANDBOX_MAX_LINE_BYTES',
    value: int(64 * 1024, { bytes: true }),
    default: 64 * MB,
    doc: 'longest protocol line read from a sandbox (e.g. a `sub_rlm` context); a longer one is dropped and the sandbox restarted (variables lost)',
  }),
});

export const agentSettings = section('Chat agent', {
  maxIterations: setting({
    env: 'REACT_MAX_ITERS',
    value: int(1),
    default: 15,
    doc: 'agent iterations per turn',
  }),
  maxDelegationsPerTurn: setting({
    env: 'DELEGATE_MAX_CALLS_PER_TURN',
    value: int(0),
    default: 8,
    doc: '`delegate_to_rlm` calls per turn',
  }),
  delegateResultChars: setting({
    env: 'DELEGATE_RESULT_TRUNCATION_CHARS',
    value: int(100),
    default: 8000,
    doc: "characters of a delegation's answer the agent sees",
  }),
  /** Recent turns kept verbatim in the planner prompt; older ones are summarized. */
  historyTurns: setting({
    env: 'AGENT_HISTORY_TURNS',
    value: int(1),
    default: 12,
    doc: 'recent turns kept verbatim in the planner prompt; older ones are summarized',
  }),
});

export const documentsSettings = section('Documents', {
  urlMaxBytes: setting({
    env: 'FLEET_URL_DOCUMENT_MAX_BYTES',
    value: int(1024, { bytes: true }),
    default: 10 * MB,
    doc: 'largest document loaded from a URL',
  }),
  urlMaxRedirects: setting({
    env: 'FLEET_URL_DOCUMENT_MAX_REDIRECTS',
    value: int(0),
    default: 5,
    doc: 'redirects followed when loading a URL',
  }),
  urlConnectTimeoutMs: setting({
    env: 'FLEET_URL_DOCUMENT_CONNECT_TIMEOUT',
    value: seconds(),
    default: 10_000,
    doc: 'seconds to connect when loading a URL',
  }),
  urlReadTimeoutMs: setting({
    env: 'FLEET_URL_DOCUMENT_READ_TIMEOUT',
    value: seconds(),
    default: 20_000,
    doc: 'seconds to read a URL document',
  }),
  /** Tests only: let URL documents come from loopback and private networks. */
  urlAllowPrivateNetworks: setting({
    env: 'FLEET_URL_DOCUMENT_ALLOW_PRIVATE',
    value: bool(),
    default: false,
    doc: 'let URL documents come from loopback and private networks (tests only)',
  }),
  /** Most bytes a zip-based document (DOCX) may inflate to, and most text any document may yield. */
  maxInflatedBytes: setting({
    env: 'FLEET_DOCUMENT_MAX_INFLATED_BYTES',
    value: int(1024, { bytes: true }),
    default: DOCUMENT_PARSE_DEFAULTS.maxInflatedBytes,
    doc: 'most a DOCX may inflate to (checked in its zip directory, then while inflating), and most text any document may yield; over it: 413',
  }),
  /** Highest inflated:compressed ratio of a zip entry (entries under 1 MB inflated are exempt). */
  maxCompressionRatio: setting({
    env: 'FLEET_DOCUMENT_MAX_COMPRESSION_RATIO',
    value: int(2),
    default: DOCUMENT_PARSE_DEFAULTS.maxCompressionRatio,
    doc: 'highest inflated:compressed ratio of a zip part over 1 MB; over it: 422',
  }),
  parseTimeoutMs: setting({
    env: 'FLEET_DOCUMENT_PARSE_TIMEOUT',
    value: seconds(),
    default: DOCUMENT_PARSE_DEFAULTS.parseTimeoutMs,
    doc: "seconds one document's parse may take (in its own worker thread, then stopped): 422",
  }),
  // V8 needs some room of its own: below 64 MB a worker cannot even load pdf.js.
  workerHeapMb: setting({
    env: 'FLEET_DOCUMENT_WORKER_HEAP_MB',
    value: int(64),
    default: DOCUMENT_PARSE_DEFAULTS.workerHeapMb,
    doc: 'JavaScript heap of a parse worker; a document that needs more is stopped: 413',
  }),
  maxParallelParses: setting({
    env: 'FLEET_DOCUMENT_MAX_PARALLEL_PARSES',
    value: int(1),
    default: DOCUMENT_PARSE_DEFAULTS.maxParallelParses,
    doc: 'documents parsed at once per process',
  }),
  maxQueuedParses: setting({
    env: 'FLEET_DOCUMENT_MAX_QUEUED_PARSES',
    value: int(0),
    default: DOCUMENT_PARSE_DEFAULTS.maxQueuedParses,
    doc: 'documents waiting for a parse slot; beyond that uploads are refused: 503',
  }),
});

export const eventsSettings = section('Events', {
  /** Frames a slow subscriber may have queued before it falls back to replay. */
  subscriberQueue: setting({
    env: 'WS_EXECUTION_MAX_QUEUE',
    value: int(1),
    default: 256,
    doc: 'frames a slow subscriber may have queued before it falls back to replay',
  }),
  replayLimit: setting({
    env: 'EVENTS_REPLAY_LIMIT',
    value: int(100),
    default: 10_000,
    doc: 'frames kept per session and stream for replay',
  }),
  turnMaxOutputEvents: setting({
    env: 'TURN_MAX_OUTPUT_EVENTS',
    value: int(1),
    default: 2000,
    doc: 'live sandbox output frames (`status` with `phase: "sandbox_output"`) one turn streams and keeps; past it, one notice frame and no more',
  }),
  turnMaxOutputBytes: setting({
    env: 'TURN_MAX_OUTPUT_BYTES',
    value: int(1024, { bytes: true }),
    default: 4 * MB,
    doc: 'characters of live sandbox output one turn streams and keeps; past it, one notice frame and no more',
  }),
  /** How long the events socket waits for a session that does not exist yet (a client-chosen id). */
  sessionWaitMs: setting({
    env: 'EVENTS_SESSION_WAIT',
    value: seconds(),
    default: 60_000,
    doc: 'seconds the events socket waits for a session not created yet (a client-chosen id, as the original Workbench sends)',
  }),
});

/** Per-user limits, so one person (or one stolen token) cannot take the whole server. */
export const quotaSettings = section('Per-user limits', {
  turnsPerUser: setting({
    env: 'USER_MAX_CONCURRENT_TURNS',
    value: int(1),
    default: 3,
    doc: 'turns one user may have running at once, over all their sessions',
  }),
  sandboxesPerUser: setting({
    env: 'USER_MAX_SANDBOXES',
    value: int(1),
    default: 3,
    doc: "sandboxes one user's sessions may hold (the user's own idle one gives way first)",
  }),
  socketsPerUser: setting({
    env: 'USER_MAX_SOCKETS',
    value: int(1),
    default: 20,
    doc: 'WebSockets (both kinds together) one user may have open',
  }),
});
