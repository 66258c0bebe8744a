/**
 * Runtime diagnostics for a settings UI: `GET /api/v1/runtime/status`, the connectivity tests
 * `POST /api/v1/runtime/tests/{lm,daytona}`, and `GET/PATCH /api/v1/runtime/settings`. The
 * work lives in `server/runtime/`; this file only binds it to routes and schemas.
 *
 * Status is for every signed-in user. Settings and the tests are for admins: a PATCH can point
 * the model (and its key) anywhere; the tests spend the operator's model budget and probe what
 * the server can reach; and reading settings shows internal endpoints and the first and last
 * characters of each key, which nobody but the operator needs.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBody } from '../../contract/http-schemas.js';
import {
  connectivityTest,
  runtimeStatus,
  settingsPatchBody,
  settingsPatchResult,
  settingsSnapshot,
} from '../../contract/runtime-schemas.js';
import { runDaytonaTest, runLmTest } from '../runtime/connectivity-tests.js';
import { RuntimeSettings, type SettingsSources } from '../runtime/runtime-settings.js';
import type { RuntimeSources } from '../runtime/runtime-sources.js';
import { buildRuntimeStatus } from '../runtime/runtime-status.js';
import { RuntimeTestCache } from '../runtime/runtime-test-cache.js';

export interface RuntimeRoutesOptions {
  sources: RuntimeSources;
  settings: SettingsSources;
  /** The cache of test results; pass one to read it elsewhere. */
  tests?: RuntimeTestCache;
  /** Timeout of the LM round trip and the Daytona probe (20 s, as fleet-rlm (Python)). */
  testTimeoutMs?: number;
}

const TEST_TIMEOUT_MS = 20_000;

export function runtimeRoutes(options: RuntimeRoutesOptions): FastifyPluginAsyncZod {
  const { sources } = options;
  const tests = options.tests ?? new RuntimeTestCache();
  const settings = new RuntimeSettings(options.settings);
  const daytona = () => sources.config().daytona;
  const testOptions = () => ({ timeoutMs: options.testTimeoutMs ?? TEST_TIMEOUT_MS, daytona: daytona() });
  const tags = ['runtime'];
  const admin = { access: 'admin' } as const;

  return async (app) => {
    app.get('/api/v1/runtime/status', { schema: { tags, response: { 200: runtimeStatus } } }, async () =>
      buildRuntimeStatus(sources, tests, daytona()),
    );

    app.post(
      '/api/v1/runtime/tests/lm',
      { schema: { tags, response: { 200: connectivityTest } }, config: admin },
      async () => tests.set(await runLmTest(sources, testOptions())),
    );

    app.post(
      '/api/v1/runtime/tests/daytona',
      { schema: { tags, response: { 200: connectivityTest } }, config: admin },
      async () => tests.set(await runDaytonaTest(sources, testOptions())),
    );

    app.get(
      '/api/v1/runtime/settings',
      { schema: { tags, response: { 200: settingsSnapshot } }, config: admin },
      async () => settings.snapshot(),
    );

    app.patch(
      '/api/v1/runtime/settings',
      {
        schema: {
          tags,
          body: settingsPatchBody,
          response: { 200: settingsPatchResult, 400: errorBody, 403: errorBody },
        },
        config: admin,
      },
      async (request) => {
        const result = await settings.patch(request.body.updates);
        tests.invalidate(result.updated);
        return result;
      },
    );
  };
}
