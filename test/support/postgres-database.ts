/**
 * A fresh, empty Postgres database for one test file on the server at TEST_DATABASE_URL
 * (scripts/test-postgres.sh starts one; .ci/run does). Without it: CI fails, local runs skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL;

export function requirePostgres(): boolean {
  if (POSTGRES_URL) return true;
  if (process.env.CI)
    throw new Error(
      'TEST_DATABASE_URL is not set: run scripts/test-postgres.sh start and export the URL it prints',
    );
  console.warn('Postgres SKIPPED: TEST_DATABASE_URL is not set (scripts/test-postgres.sh start)');
  return false;
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `fleet_srv_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database "${name}" template template0`);
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
