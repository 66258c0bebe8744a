/**
 * `fleet-rlm chat`: a terminal client of a running server, over the same WebSocket protocol as
 * the Workbench. Each input line is a message (or a /command); answers stream to stdout, tool
 * calls, RLM runs and status show as short dim lines, errors go to stderr with their code. Works
 * with stdin from a pipe, for scripts: `printf 'hi\nbye\n' | fleet-rlm chat` answers both in
 * order and exits 0, or 1 when the last turn failed.
 */
import { type Command, Option } from 'commander';
import { ClientError } from '../client/client-error.js';
import { ExecutionClient } from '../client/execution-client.js';
import { FleetHttpClient } from '../client/http-client.js';
import { type Config, loadConfig, readEnvironment } from '../config/config.js';
import { EXECUTION_MODES, type ExecutionMode } from '../contract/client-frames.js';
import { ChatRenderer } from './chat-renderer.js';
import { ChatRepl } from './chat-repl.js';
import { CHAT_HELP } from './chat-slash-commands.js';
import { chatStyle, colourEnabled } from './chat-style.js';
import { CliError } from './run-command.js';

interface ChatFlags {
  url?: string;
  token?: string;
  session?: string;
  mode: ExecutionMode;
  envFile?: string;
}

export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('chat with the agent of a running server (fleet-rlm serve) in the terminal')
    .option('--url <url>', 'the server (default http://FLEET_HOST:FLEET_PORT, i.e. http://127.0.0.1:8000)')
    .option('--token <jwt>', 'bearer token when the server requires auth (default: FLEET_TOKEN)')
    .option('--session <id>', 'continue this session (and a turn still running in it)')
    .addOption(
      new Option('--mode <mode>', 'execution mode of each message').choices(EXECUTION_MODES).default('auto'),
    )
    .option('--env-file <path>', 'read variables from this file (default: ./.env when present)')
    .addHelpText(
      'after',
      `
Ctrl-C cancels the running turn; a second Ctrl-C (or one while idle) quits. Exit status: 0, or
1 when the last turn failed or the connection was lost.

${CHAT_HELP}

Examples:
  fleet-rlm chat
  fleet-rlm chat --url http://10.0.0.5:8000 --token "$(fleet-rlm token -w acme -u ada)"
  printf 'Summarize the active document\\n/docs\\n' | fleet-rlm chat --session 7c9e…`,
    )
    .action(async (flags: ChatFlags) => {
      process.exitCode = await chatCommand(flags);
    });
}

async function chatCommand(flags: ChatFlags): Promise<number> {
  const env = readEnvironment(flags.envFile);
  // The configuration is only read for the default URL, so a bad unrelated variable cannot stop
  // a chat with an explicit --url.
  const url = flags.url ?? serverUrl(loadConfig(env));
  const token = flags.token ?? env.FLEET_TOKEN;
  const http = new FleetHttpClient({ url, token });
  const sessionId = flags.session ?? (await http.createSession().catch(unreachable(url))).id;
  const client = await ExecutionClient.connect({ url, token }).catch(unreachable(url));
  const renderer = new ChatRenderer({
    out: process.stdout,
    err: process.stderr,
    style: chatStyle(colourEnabled(process.stdout, env.NO_COLOR)),
    errStyle: chatStyle(colourEnabled(process.stderr, env.NO_COLOR)),
  });
  renderer.status(`fleet-rlm chat · ${http.baseUrl} · session ${sessionId} · /help lists commands`);
  const repl = new ChatRepl({
    client,
    http,
    renderer,
    input: process.stdin,
    output: process.stdout,
    interactive: process.stdin.isTTY === true,
    sessionId,
    mode: flags.mode,
  });
  // A pipe's Ctrl-C is a signal; at a terminal readline reports it to the REPL itself.
  const onSigint = () => repl.interrupt();
  process.on('SIGINT', onSigint);
  try {
    return await repl.run();
  } finally {
    process.off('SIGINT', onSigint);
    await client.close();
    // Lines still buffered in a pipe must not keep the process alive after /quit or Ctrl-C.
    process.stdin.destroy();
  }
}

/** Where a local `fleet-rlm serve` with the same environment listens. */
function serverUrl(config: Config): string {
  const { host, port } = config.server;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function unreachable(url: string): (error: unknown) => never {
  return (error) => {
    const message = error instanceof Error ? error.message : String(error);
    let hint = '';
    if (ClientError.isInstance(error) && error.reason === 'connect_failed')
      hint = ' (is `fleet-rlm serve` running there? pass --url otherwise)';
    else if (ClientError.isInstance(error) && error.status === 401)
      hint = ' (pass --token or set FLEET_TOKEN; `fleet-rlm token -w WORKSPACE -u USER` mints a dev token)';
    throw new CliError(`cannot chat with ${url}: ${message}${hint}`);
  };
}
