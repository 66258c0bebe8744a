/**
 * `fleet-rlm serve` (alias `web`): the API server with its two WebSockets on embedded defaults
 * (SQLite, Pyodide, in-process events). SIGINT/SIGTERM drain gracefully; a second signal quits.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, readEnvironment } from '../config/config.js';
import { startServer } from '../server/start-server.js';
import { CliError } from './run-command.js';

export function registerServeCommand(program: Command, version: string): void {
  program
    .command('serve')
    .alias('web')
    .description('run the API server (HTTP + WebSockets) for the chat agent')
    .option('--host <host>', 'interface to listen on (default FLEET_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default FLEET_PORT or 8000)')
    .option('--env-file <path>', 'read variables from this file (default: ./.env when present)')
    .action(async (options: { host?: string; port?: string; envFile?: string }) => {
      const env = readEnvironment(options.envFile);
      if (options.host) env.FLEET_HOST = options.host;
      if (options.port) env.FLEET_PORT = options.port;
      const config = loadConfig(env);
      const envPath = options.envFile ?? resolve('.env');
      const server = await startServer(config, { version, env, envPath }).catch((error: unknown) => {
        throw new CliError(
          `the server did not start: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      process.stderr.write(`fleet-rlm ${version} serving on ${server.url} (docs: ${server.url}/docs)\n`);
      if (!server.context.lm.resolve('planner')) {
        process.stderr.write(
          'warning: no model configured (DSPY_LM_MODEL); turns will be refused until one is set\n',
        );
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) process.exit(130);
        stopping = true;
        process.stderr.write(`${signal}: draining running turns (press again to quit at once)\n`);
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      await new Promise(() => {}); // serve until a signal
    });
}
