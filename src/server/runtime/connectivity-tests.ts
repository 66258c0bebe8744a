/**
 * `POST /runtime/tests/lm` and `/runtime/tests/daytona`: a preflight of the configuration, then
 * (when it passes) a live check, answered as one envelope `{kind, ok, preflight_ok, checks,
 * guidance, latency_ms, checked_at, output_preview?, error?}` and cached for the status route.
 *
 * The LM check is a planner round trip ("Reply with exactly OK", as fleet-rlm (Python) asks)
 * under a short timeout. The Daytona check is the preflight until a Daytona probe is wired.
 * Errors are redacted: a provider that echoes the key back never gets it onto the wire.
 */
import type { ConnectivityTest, PreflightCheck } from '../../contract/runtime-schemas.js';
import { LmError } from '../../lm/lm-error.js';
import { configuredSecrets, redactText, truncate } from '../../tracing/redaction.js';
import { type DaytonaSettings, daytonaPreflight } from './daytona-settings.js';
import { lmPreflight } from './lm-preflight.js';
import type { RuntimeSources } from './runtime-sources.js';

export const LM_TEST_PROMPT = 'Reply with exactly OK';
const PREVIEW_CHARS = 200;
const ERROR_CHARS = 1000;

export interface TestOptions {
  timeoutMs: number;
  /** Daytona's settings now (their key is among the configuration's secrets). */
  daytona: DaytonaSettings;
}

export async function runLmTest(sources: RuntimeSources, options: TestOptions): Promise<ConnectivityTest> {
  const started = performance.now();
  const config = sources.config();
  const preflight = lmPreflight(config.lm);
  const secrets = configuredSecrets(config);
  if (!preflight.ok) {
    return envelope('lm', started, preflight.checks, preflight.guidance, {
      preflight_ok: false,
      error: 'LM preflight checks failed',
    });
  }
  try {
    const response = await sources.lm().generate({
      role: 'planner',
      messages: [{ role: 'user', content: LM_TEST_PROMPT }],
      timeoutMs: options.timeoutMs,
      purpose: 'runtime.test_lm',
    });
    const text = response.text.trim();
    const preview = truncate(redactText(text, secrets), PREVIEW_CHARS);
    if (text === '') {
      return envelope(
        'lm',
        started,
        preflight.checks,
        ['The planner answered with empty text; check that DSPY_LM_MODEL is a chat model'],
        {
          error: `${response.model} answered with empty text (finish reason ${response.finishReason})`,
        },
      );
    }
    return envelope('lm', started, preflight.checks, [], { ok: true, output_preview: preview });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const guidance = lmGuidance(error, options.timeoutMs).map((line) => redactText(line, secrets));
    return envelope('lm', started, preflight.checks, guidance, {
      error: truncate(redactText(message, secrets), ERROR_CHARS),
    });
  }
}

export async function runDaytonaTest(
  sources: RuntimeSources,
  options: TestOptions,
): Promise<ConnectivityTest> {
  const started = performance.now();
  const preflight = daytonaPreflight(options.daytona);
  if (!preflight.configured) {
    return envelope('daytona', started, preflight.checks, preflight.guidance, {
      preflight_ok: false,
      error: 'Daytona preflight checks failed',
    });
  }
  if (!sources.daytonaProbe) {
    return envelope('daytona', started, preflight.checks, [], {
      ok: true,
      output_preview:
        'Daytona credentials are complete (preflight only: the live check comes with the Daytona sandbox provider)',
    });
  }
  const secrets = configuredSecrets(sources.config());
  try {
    const preview = await sources.daytonaProbe(options.daytona, AbortSignal.timeout(options.timeoutMs));
    return envelope('daytona', started, preflight.checks, [], {
      ok: true,
      output_preview: truncate(redactText(preview, secrets), PREVIEW_CHARS),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return envelope(
      'daytona',
      started,
      preflight.checks,
      ['Check DAYTONA_API_KEY, DAYTONA_API_URL and DAYTONA_TARGET'],
      {
        error: truncate(redactText(message, secrets), ERROR_CHARS),
      },
    );
  }
}

function envelope(
  kind: ConnectivityTest['kind'],
  started: number,
  checks: PreflightCheck[],
  guidance: string[],
  result: { ok?: boolean; preflight_ok?: boolean; output_preview?: string; error?: string },
): ConnectivityTest {
  return {
    kind,
    ok: result.ok ?? false,
    preflight_ok: result.preflight_ok ?? true,
    checks,
    guidance,
    latency_ms: Math.round(performance.now() - started),
    checked_at: new Date().toISOString(),
    ...(result.output_preview !== undefined ? { output_preview: result.output_preview } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
  };
}

/** One fix-it line per failure kind; the error itself already names the variable involved. */
function lmGuidance(error: unknown, timeoutMs: number): string[] {
  if (!LmError.isInstance(error)) return ['Check DSPY_LM_MODEL, DSPY_LLM_API_KEY and DSPY_LM_API_BASE'];
  switch (error.kind) {
    case 'http_error':
      if (error.statusCode === 401 || error.statusCode === 403) {
        return [
          'The provider rejected the API key: check DSPY_LLM_API_KEY (and DSPY_LM_API_BASE for a proxy)',
        ];
      }
      if (error.statusCode === 404)
        return ['Check the model name in DSPY_LM_MODEL and the URL in DSPY_LM_API_BASE'];
      return [`The provider failed with HTTP ${error.statusCode}; try again, or check its status page`];
    case 'network':
      return ['Check DSPY_LM_API_BASE and that the model server is running and reachable'];
    case 'timeout':
      return [
        `The planner did not answer within ${timeoutMs / 1000} s; check connectivity or use a faster model`,
      ];
    case 'rate_limited':
      return ['The provider is rate limiting this key; wait a minute and test again'];
    case 'not_configured':
      return [error.message];
    case 'bad_response':
      return ['The provider answered with something unusable; check that DSPY_LM_MODEL names a chat model'];
    case 'aborted':
      return ['The test was cancelled; run it again'];
  }
}
