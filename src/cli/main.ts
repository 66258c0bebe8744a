/**
 * The `fleet-rlm` command line. Each subcommand lives in its own module; this file wires them up
 * and turns known errors into a one-line message and an exit code instead of a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError } from '../config/config.js';
import { routeAiSdkWarnings } from '../lm/ai-sdk-warnings.js';
import { registerChatCommand } from './chat-command.js';
import { registerExportFeedbackCommand } from './export-feedback-command.js';
import { registerMlflowServerCommand } from './mlflow-server-command.js';
import { CliError, registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerTokenCommand } from './token-command.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command('fleet-rlm')
    .description('Recursive Language Models over long inputs, with Python sandboxes and full observability')
    .version(version)
    .showHelpAfterError();
  registerRunCommand(program);
  registerServeCommand(program, version);
  registerTokenCommand(program);
  registerChatCommand(program);
  registerExportFeedbackCommand(program);
  registerMlflowServerCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  routeAiSdkWarnings((line) => process.stderr.write(`${line}\n`));
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else if (ConfigError.isInstance(error)) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  }
}
