/**
 * `/metrics` had no way to be protected. With METRICS_TOKEN set it needs
 * `Authorization: Bearer <METRICS_TOKEN>` (what Prometheus sends with `authorization:
 * credentials_file`); without it, it stays open as Prometheus expects by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { type Harness, startHarness } from '../support/server-harness.js';

const METRICS_TOKEN = 'scrape-credential-1f6b0c8e4d2a9735';
const SECRET = 'a-long-test-secret-for-the-metrics-test';

async function scrape(harness: Harness, authorization?: string) {
  const response = await fetch(`${harness.url}/metrics`, {
    headers: authorization ? { authorization } : {},
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

describe('/metrics with METRICS_TOKEN', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ METRICS_TOKEN, AUTH_REQUIRED: 'true', DEV_JWT_SECRET: SECRET });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('refuses a scrape without the token, with a wrong one, and with a user token', async () => {
    const user = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'alice' });
    for (const authorization of [
      undefined,
      'Bearer wrong-token',
      `Bearer ${METRICS_TOKEN}x`,
      `Bearer ${user}`,
      METRICS_TOKEN,
    ]) {
      const response = await scrape(harness, authorization);
      expect([authorization, response.status]).toEqual([authorization, 401]);
      expect(JSON.parse(response.body).message).toMatch(/METRICS_TOKEN/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.body).not.toContain('fleet_');
    }
  });

  it('serves the metrics to a scraper with the token', async () => {
    const response = await scrape(harness, `Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.body).toContain('# TYPE fleet_lm_calls_total counter');
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({});
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('stays open, as Prometheus expects by default', async () => {
    const response = await scrape(harness);
    expect(response.status).toBe(200);
  });
});
