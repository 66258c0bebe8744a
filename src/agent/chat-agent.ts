/**
 * The chat agent: a ReAct loop over the planner with native tool calling. Each step is thought
 * (streamed text) -> action (tool calls) -> observation (tool results); the step that calls no
 * tool is the answer, streamed token by token. `rlm_only` skips the loop and runs one RLM over
 * the message and the session's documents; `tools_only` takes the delegation tools away.
 */
import { type ModelMessage, stepCountIs, streamText } from 'ai';
import type { Config } from '../config/config.js';
import type { ExecutionMode } from '../contract/client-frames.js';
import type { AiSdkLmClient, ChatModel } from '../lm/ai-sdk-client.js';
import { toLmError } from '../lm/lm-error.js';
import { withLmScope } from '../lm/traced-model.js';
import { answerText } from '../rlm/partial-answer.js';
import { runRlm } from '../rlm/rlm-engine.js';
import type { RlmBudgets } from '../rlm/rlm-types.js';
import type { SandboxPool } from '../sandbox/sandbox-pool.js';
import type { OwnedSession } from '../sessions/owned-session.js';
import type { SandboxLease } from '../sessions/session-sandboxes.js';
import { errorMessage, headTail } from '../util/text.js';
import { addUsage, type Usage, ZERO_USAGE } from '../util/usage.js';
import { type AgentEventSink, agentStepNode, TURN_NODE, toolCallNode } from './agent-events.js';
import { agentSystemPrompt, FINAL_ANSWER_NUDGE } from './agent-prompts.js';
import { AgentStepSpans } from './agent-step-spans.js';
import { conversationHistory } from './history.js';
import { relayRlmEvents } from './rlm-relay.js';
import { delegationTools } from './tools/delegation-tools.js';
import { documentTools } from './tools/document-tools.js';
import { memoryTool } from './tools/memory-tool.js';
import { pythonTool } from './tools/python-tool.js';
import type { ToolContext } from './tools/tool-context.js';
import { type AgentToolSet, renderToolResult, type ToolResult, toolFailure } from './tools/tool-result.js';

export interface ChatAgentDeps {
  lm: AiSdkLmClient;
  /** Lends extra sandboxes to `sub_rlm_batched` (destroyed after use). */
  pool: SandboxPool;
  config: Config;
  log(message: string): void;
}

export interface TurnRequest {
  session: OwnedSession;
  turnId: string;
  turnIndex: number;
  content: string;
  executionMode: ExecutionMode;
  signal: AbortSignal;
  emit: AgentEventSink;
}

export interface TurnOutcome {
  answer: string;
  usage: Usage;
  iterations: number;
  delegations: number;
}

const TOOL_OUTPUT_CHARS = 4000;

export class ChatAgent {
  constructor(private readonly deps: ChatAgentDeps) {}

  async respond(request: TurnRequest): Promise<TurnOutcome> {
    let usage: Usage = ZERO_USAGE;
    const addToTurn = (extra: Usage) => {
      usage = addUsage(usage, extra);
    };
    let lease: Promise<SandboxLease> | undefined;
    const { config } = this.deps;
    const context: ToolContext = {
      session: request.session,
      turnId: request.turnId,
      turnIndex: request.turnIndex,
      sandbox: async () => {
        if (!lease) {
          let queuedAt: number | undefined;
          lease = request.session.useSandbox(request.signal, (wait) => {
            queuedAt = performance.now();
            request.emit({ type: 'sandbox_queued', ...wait });
          });
          lease.then(
            () =>
              request.emit({
                type: 'sandbox_leased',
                ...(queuedAt === undefined ? {} : { waitedMs: performance.now() - queuedAt }),
              }),
            () => {},
          );
        }
        const { sandbox, documents } = await lease;
        return { sandbox, boundDocuments: documents };
      },
      pool: this.deps.pool,
      lm: this.deps.lm,
      rlmBudgets: this.rlmBudgets(),
      agent: config.agent,
      documentLimits: {
        ...config.documents,
        maxUploadBytes: config.server.maxUploadBytes,
        workspaceRoot: request.session.workspaceRoot,
      },
      signal: request.signal,
      emit: request.emit,
      delegations: { used: 0 },
      addUsage: addToTurn,
      config,
    };
    try {
      const iterations =
        request.executionMode === 'rlm_only'
          ? await this.rlmOnly(request, context)
          : await this.react(request, context, addToTurn);
      return {
        answer: iterations.answer,
        usage,
        iterations: iterations.count,
        delegations: context.delegations.used,
      };
    } finally {
      if (lease)
        void lease.then(
          (leased) => leased.release(),
          () => {},
        );
    }
  }

  private rlmBudgets(): RlmBudgets {
    return { ...this.deps.config.rlm, lmTimeoutMs: this.deps.config.lm.timeoutMs };
  }

  private async react(
    request: TurnRequest,
    context: ToolContext,
    addToTurn: ToolContext['addUsage'],
  ): Promise<{ answer: string; count: number }> {
    const chat = this.deps.lm.chatModel('planner');
    const { config } = this.deps;
    const history = await conversationHistory({
      lm: this.deps.lm,
      session: request.session,
      config: config.agent,
      signal: request.signal,
      onUsage: addToTurn,
      log: this.deps.log,
    });
    const canDelegate = request.executionMode !== 'tools_only';
    const tools: AgentToolSet = { ...documentTools(context), ...pythonTool(context), ...memoryTool(context) };
    if (canDelegate) Object.assign(tools, delegationTools(context));
    const system = agentSystemPrompt({
      session: request.session.row,
      documents: await context.session.documents.list(),
      maxIterations: config.agent.maxIterations,
      delegationsLeft: config.agent.maxDelegationsPerTurn,
      canDelegate,
    });
    const messages: ModelMessage[] = [...history, { role: 'user', content: request.content }];
    const first = await this.stream(
      chat,
      request,
      { system, messages, tools, maxSteps: config.agent.maxIterations },
      0,
      addToTurn,
    );
    if (first.finishReason !== 'tool-calls') return { answer: first.answer, count: first.steps };
    // Every step went to tools: one more call, without tools, turns what was found into an answer.
    const final = await this.stream(
      chat,
      request,
      {
        system,
        messages: [...messages, ...first.responseMessages, { role: 'user', content: FINAL_ANSWER_NUDGE }],
        tools: undefined,
        maxSteps: 1,
      },
      first.steps,
      addToTurn,
    );
    return { answer: final.answer, count: first.steps + final.steps };
  }

  /** One streamText call (possibly several tool steps), reported as agent events. */
  private async stream(
    chat: ChatModel,
    request: TurnRequest,
    input: {
      system: string;
      messages: ModelMessage[];
      tools: AgentToolSet | undefined;
      maxSteps: number;
    },
    firstIteration: number,
    addToTurn: ToolContext['addUsage'],
  ): Promise<{ answer: string; finishReason: string; steps: number; responseMessages: ModelMessage[] }> {
    const { emit } = request;
    // The traced model prices each of the step's model calls as it ends (before `finish-step`).
    let stepUsage: Usage = ZERO_USAGE;
    const spans = new AgentStepSpans((call) => {
      stepUsage = addUsage(stepUsage, call);
    });
    const result = withLmScope(spans.lmScope, () =>
      streamText<AgentToolSet>({
        model: chat.model,
        system: input.system,
        messages: input.messages,
        tools: spans.traceTools(input.tools),
        stopWhen: stepCountIs(input.maxSteps),
        maxRetries: chat.maxRetries,
        maxOutputTokens: chat.maxTokens,
        abortSignal: request.signal,
        // The error reaches the turn runner as the stream's `error` part and is reported there,
        // redacted. The SDK's default prints the raw error to the console: the provider's
        // answer (which may quote the API key) and the whole request body.
        onError: () => {},
        prepareStep: ({ stepNumber }) => {
          spans.begin(firstIteration + stepNumber + 1);
          return undefined;
        },
      }),
    );
    let iteration = firstIteration;
    let stepText = '';
    let answer = '';
    let finishReason = 'stop';
    const started = new Map<string, { at: number; name: string }>();
    const toolNames: string[] = [];
    try {
      for await (const part of result.fullStream) {
        switch (part.type) {
          case 'start-step':
            iteration++;
            stepText = '';
            stepUsage = ZERO_USAGE;
            toolNames.length = 0;
            emit({ type: 'iteration_started', iteration, node: agentStepNode(iteration), parent: TURN_NODE });
            break;
          case 'text-delta':
            stepText += part.text;
            emit({ type: 'token', iteration, text: part.text });
            break;
          case 'tool-call':
            started.set(part.toolCallId, { at: performance.now(), name: part.toolName });
            // The text before a step's first tool call was a thought, not the answer: say so
            // before the tool runs, not after.
            if (toolNames.length === 0) {
              emit({ type: 'reasoning', iteration, text: stepText.trim(), toolNames: [part.toolName] });
            }
            toolNames.push(part.toolName);
            emit({
              type: 'tool_call',
              iteration,
              callId: part.toolCallId,
              name: part.toolName,
              args: part.input,
              node: toolCallNode(part.toolCallId),
              parent: agentStepNode(iteration),
            });
            break;
          case 'tool-result':
          case 'tool-error': {
            // A tool returns a typed result; one that threw (bad input, a crash) failed too. The
            // agent defines no dynamic tools, whose results the SDK leaves untyped.
            const result: ToolResult =
              part.type === 'tool-error'
                ? toolFailure(errorMessage(part.error))
                : part.dynamic
                  ? toolFailure(`'${part.toolName}' is not one of the agent's tools`)
                  : part.output;
            const output = renderToolResult(result);
            const start = started.get(part.toolCallId);
            emit({
              type: 'tool_result',
              iteration,
              callId: part.toolCallId,
              name: part.toolName,
              ok: result.ok,
              output: headTail(output, TOOL_OUTPUT_CHARS), // errors and notes come last
              durationMs: start ? performance.now() - start.at : 0,
              node: toolCallNode(part.toolCallId),
            });
            break;
          }
          case 'finish-step': {
            addToTurn(stepUsage);
            finishReason = part.finishReason;
            if (finishReason !== 'tool-calls') answer = stepText;
            spans.finish(iteration, { finish_reason: finishReason, text: stepText, tools: [...toolNames] });
            emit({
              type: 'iteration_finished',
              iteration,
              finishReason,
              usage: stepUsage,
              node: agentStepNode(iteration),
            });
            break;
          }
          case 'error':
            throw part.error;
          default:
            break;
        }
      }
    } catch (error) {
      spans.abandon(error);
      throw toLmError(error, {
        role: chat.resolved.role,
        model: chat.resolved.model,
        timeoutMs: chat.timeoutMs,
        timedOut: false,
        aborted: request.signal.aborted,
        secrets: this.deps.lm.apiKeys(),
      });
    }
    spans.abandon();
    const responseMessages = finishReason === 'tool-calls' ? (await result.response).messages : [];
    return { answer: answer.trim(), finishReason, steps: iteration - firstIteration, responseMessages };
  }

  /** rlm_only: the RLM answers the message directly, over every document of the session. */
  private async rlmOnly(
    request: TurnRequest,
    context: ToolContext,
  ): Promise<{ answer: string; count: number }> {
    const documents = await context.session.documents.list();
    const texts = await Promise.all(documents.map((document) => context.session.documents.text(document)));
    const input = texts.length === 0 ? request.content : texts.length === 1 ? texts[0]! : texts;
    request.emit({
      type: 'status',
      text: `Running an RLM over ${texts.length || 'no'} document(s)`,
      phase: 'rlm_only',
    });
    const { sandbox } = await context.sandbox();
    const callId = 'rlm_only';
    const result = await runRlm({
      inputs: { question: request.content, context: input },
      role: 'planner',
      lm: this.deps.lm,
      sandbox,
      pool: this.deps.pool,
      budgets: context.rlmBudgets,
      signal: request.signal,
      contextName: `turn${request.turnIndex}.rlm`,
      onEvent: relayRlmEvents(request.emit, { callId, toolName: 'rlm_only', lane: 0, parent: TURN_NODE }),
    });
    context.addUsage(result.usage);
    // The person reads the answer as text: a partial one says so, as it would to a parent RLM.
    const answer = answerText(result);
    for (const piece of answer.match(/\s*\S+\s*/g) ?? [])
      request.emit({ type: 'token', iteration: 1, text: piece });
    return { answer, count: result.iterations };
  }
}
