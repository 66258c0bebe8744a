/**
 * What a CLI command writes to the process's stdout and stderr, captured (not printed) until
 * `vi.restoreAllMocks()`. Tests may reset either field between steps.
 */
import { vi } from 'vitest';

export interface CapturedOutput {
  stdout: string;
  stderr: string;
}

export function captureProcessOutput(): CapturedOutput {
  const captured: CapturedOutput = { stdout: '', stderr: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    captured.stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    captured.stderr += String(chunk);
    return true;
  });
  return captured;
}
