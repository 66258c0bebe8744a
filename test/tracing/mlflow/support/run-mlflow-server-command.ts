/**
 * `fleet-rlm mlflow-server` in a child process, before the lead wires it into src/cli/main.ts:
 * a program with just this command, and main's handling of `CliError` (message + exit code).
 * Usage: node --import tsx run-mlflow-server-command.ts mlflow-server [flags].
 */
import { Command } from 'commander';
import { registerMlflowServerCommand } from '../../../../src/cli/mlflow-server-command.js';
import { CliError } from '../../../../src/cli/run-command.js';

const program = new Command('fleet-rlm');
registerMlflowServerCommand(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exitCode = error.exitCode;
}
