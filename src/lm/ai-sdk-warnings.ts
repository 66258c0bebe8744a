/**
 * The AI SDK logs provider warnings with console.info/warn, and its first notice goes to
 * stdout, which would corrupt `fleet-rlm run`'s answer or `--json` output. Entry points call
 * this once to send warnings where they want them (stderr for the CLI).
 */

interface AiSdkWarnings {
  warnings: unknown[];
  provider?: string;
  model?: string;
}

export function routeAiSdkWarnings(log: (line: string) => void): void {
  (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = (options: AiSdkWarnings) => {
    for (const warning of options.warnings) {
      const detail = (warning as { message?: string; details?: string }).message ?? JSON.stringify(warning);
      log(`AI SDK warning (${options.provider ?? '?'}/${options.model ?? '?'}): ${detail}`);
    }
  };
}
