/**
 * The preflight of Daytona's credentials (`config.daytona`: `DAYTONA_API_KEY`,
 * `DAYTONA_API_URL`, `DAYTONA_TARGET`). `DAYTONA_API_BASE_URL` is rejected as in fleet-rlm
 * (Python): the Daytona SDK reads `DAYTONA_API_URL`, and a config that only sets the old name
 * silently talks to the default.
 */
import type { DaytonaConfig } from '../../config/config.js';
import type { PreflightCheck } from '../../contract/runtime-schemas.js';
import { redactText } from '../../tracing/redaction.js';

export type DaytonaSettings = DaytonaConfig;

export interface DaytonaPreflight {
  checks: PreflightCheck[];
  guidance: string[];
  /** Key and URL present, the URL parses, and the legacy variable is not in the way. */
  configured: boolean;
}

export function daytonaPreflight(settings: DaytonaSettings): DaytonaPreflight {
  const { apiKey, apiUrl, target, legacyApiBaseUrl } = settings;
  const urlProblem = apiUrl === undefined ? undefined : httpUrlProblem(apiUrl);
  const checks: PreflightCheck[] = [
    {
      name: 'api_key_set',
      ok: apiKey !== undefined,
      detail: apiKey ? 'DAYTONA_API_KEY is set' : 'DAYTONA_API_KEY is not set',
    },
    {
      name: 'api_url_set',
      ok: apiUrl !== undefined,
      detail: apiUrl ? `DAYTONA_API_URL is ${redactText(apiUrl)}` : 'DAYTONA_API_URL is not set',
    },
    {
      name: 'api_url_parses',
      ok: apiUrl !== undefined && urlProblem === undefined,
      detail: apiUrl === undefined ? 'no URL to check' : (urlProblem ?? 'an http(s) URL'),
    },
    {
      name: 'target_set',
      // Optional: Daytona picks its default target.
      ok: true,
      detail: target ? `DAYTONA_TARGET is ${target}` : "not set (optional: Daytona's default target is used)",
    },
    {
      name: 'legacy_api_base_url_ok',
      ok: legacyApiBaseUrl === undefined,
      detail: legacyApiBaseUrl
        ? 'DAYTONA_API_BASE_URL is set, which is not supported'
        : 'DAYTONA_API_BASE_URL is not used',
    },
  ];
  const guidance: string[] = [];
  if (legacyApiBaseUrl) {
    guidance.push('DAYTONA_API_BASE_URL is not supported: rename it to DAYTONA_API_URL');
  }
  if (!apiKey) guidance.push('Set DAYTONA_API_KEY to an API key from your Daytona dashboard');
  if (!apiUrl && !legacyApiBaseUrl) {
    guidance.push('Set DAYTONA_API_URL to your Daytona API, e.g. https://app.daytona.io/api');
  }
  if (urlProblem) guidance.push(`Fix DAYTONA_API_URL: ${urlProblem}`);
  return { checks, guidance, configured: checks.every((check) => check.ok) };
}

function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `'${redactText(value)}' is not a URL; write it like https://app.daytona.io/api`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `'${redactText(value)}' must start with http:// or https://`;
  }
  return undefined;
}
