/**
 * Daytona's settings (`DAYTONA_API_KEY`, `DAYTONA_API_URL`, `DAYTONA_TARGET`). The legacy
 * `DAYTONA_API_BASE_URL` is read only to refuse it, as fleet-rlm (Python) does: the Daytona SDK
 * reads `DAYTONA_API_URL`, so a configuration that sets only the old name silently talks to the
 * default URL. It stops the server when Daytona runs the code; otherwise the runtime status
 * reports it (`legacy_api_base_url_ok`). The URL is checked by the Daytona preflight, not here,
 * so an unused Daytona URL never keeps the server from starting.
 */
import { text } from './env-values.js';
import { section, setting } from './setting.js';

export const LEGACY_DAYTONA_URL_PROBLEM = 'is not supported: rename it to DAYTONA_API_URL';

export const daytonaSettings = section('Daytona', {
  apiKey: setting({
    env: 'DAYTONA_API_KEY',
    value: text(),
    secret: true,
    editable: 'secret',
    doc: 'API key from the Daytona dashboard',
  }),
  apiUrl: setting({
    env: 'DAYTONA_API_URL',
    value: text(),
    editable: 'url',
    doc: 'the Daytona API, e.g. `https://app.daytona.io/api`',
  }),
  target: setting({
    env: 'DAYTONA_TARGET',
    value: text(),
    editable: 'text',
    defaultText: "Daytona's default",
    doc: 'Daytona target (region)',
  }),
  legacyApiBaseUrl: setting({
    env: 'DAYTONA_API_BASE_URL',
    value: text(),
    doc: 'not supported (use `DAYTONA_API_URL`): refused when `SANDBOX_PROVIDER=daytona`, reported by the status otherwise',
  }),
});
