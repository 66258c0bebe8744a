/**
 * `fleet-rlm token` inside a commander program of its own: the printed token verifies with the
 * secret and carries the claims, the server's authenticator accepts it, and the command refuses
 * when a JWKS is configured (its tokens would be rejected).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerTokenCommand } from '../../src/cli/token-command.js';
import { Authenticator } from '../../src/server/auth/authenticator.js';
import { type CapturedOutput, captureProcessOutput } from '../support/capture-output.js';

const SECRET = 'token-command-test-secret-0123456789abcdef';
const AUTH_VARIABLES = [
  'DEV_JWT_SECRET',
  'AUTH_JWKS_URL',
  'ENTRA_JWKS_URL',
  'AUTH_AUDIENCE',
  'ENTRA_AUDIENCE',
  'AUTH_ISSUER',
  'AUTH_REQUIRED',
];

let captured: CapturedOutput;
let envFile: string;

beforeEach(() => {
  captured = captureProcessOutput();
  // Only what each test sets may reach loadConfig: the developer's own shell must not.
  for (const name of AUTH_VARIABLES) vi.stubEnv(name, undefined);
  envFile = join(mkdtempSync(join(tmpdir(), 'fleet-token-')), '.env');
  writeFileSync(envFile, '');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function token(...args: string[]): Promise<void> {
  const program = new Command('fleet-rlm').exitOverride().configureOutput({
    writeErr: (text) => {
      captured.stderr += text;
    },
  });
  registerTokenCommand(program);
  await program.parseAsync(['token', '--env-file', envFile, ...args], { from: 'user' });
}

const secretKey = (secret: string) => new TextEncoder().encode(secret);

describe('fleet-rlm token', () => {
  it('prints only an HS256 token with the identity claims', async () => {
    vi.stubEnv('DEV_JWT_SECRET', SECRET);
    const before = Math.floor(Date.now() / 1000);
    await token('--workspace', 'acme', '--user', 'ada', '--email', 'ada@acme.test', '--name', 'Ada L');
    expect(captured.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(captured.stderr).toBe('');
    const { payload, protectedHeader } = await jwtVerify(captured.stdout.trim(), secretKey(SECRET));
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({
      tid: 'acme',
      oid: 'ada',
      sub: 'ada',
      email: 'ada@acme.test',
      name: 'Ada L',
    });
    // Default lifetime: 12 hours.
    expect(payload.exp! - payload.iat!).toBe(12 * 3600);
    expect(payload.iat).toBeGreaterThanOrEqual(before);

    const context = await new Authenticator({
      required: true,
      devJwtSecret: SECRET,
      allowQueryTokens: false,
      defaultWorkspaceId: 'default',
      defaultUserId: 'anonymous',
      admin: { users: [], roleClaim: 'roles', role: 'admin', localUserIsAdmin: false },
    }).authenticate({ authorization: `Bearer ${captured.stdout.trim()}` });
    expect(context).toMatchObject({ authenticated: true, identity: { workspaceId: 'acme', userId: 'ada' } });
  });

  it('reads the secret from the env file, takes --expires and the short flags', async () => {
    writeFileSync(envFile, `DEV_JWT_SECRET=${SECRET}-from-file\n`);
    await token('-w', 'acme', '-u', 'bob', '--expires', '90m');
    const { payload } = await jwtVerify(captured.stdout.trim(), secretKey(`${SECRET}-from-file`));
    expect(payload.exp! - payload.iat!).toBe(90 * 60);
    expect(payload.email).toBeUndefined();

    captured.stdout = '';
    await token('-w', 'acme', '-u', 'bob', '--expires', '3600');
    const plain = await jwtVerify(captured.stdout.trim(), secretKey(`${SECRET}-from-file`));
    expect(plain.payload.exp! - plain.payload.iat!).toBe(3600);
  });

  it('sets aud and iss when the server checks them', async () => {
    vi.stubEnv('DEV_JWT_SECRET', SECRET);
    vi.stubEnv('AUTH_AUDIENCE', 'fleet');
    vi.stubEnv('AUTH_ISSUER', 'https://dev.local/{tenantid}');
    await token('-w', 'acme', '-u', 'ada');
    const { payload } = await jwtVerify(captured.stdout.trim(), secretKey(SECRET), {
      audience: 'fleet',
      issuer: 'https://dev.local/acme',
    });
    expect(payload.tid).toBe('acme');
  });

  it('warns on stderr when the secret is the default', async () => {
    await token('-w', 'acme', '-u', 'ada');
    expect(captured.stderr).toMatch(/warning: DEV_JWT_SECRET is the default 'change-me'/);
    await expect(jwtVerify(captured.stdout.trim(), secretKey('change-me'))).resolves.toBeDefined();
  });

  it('refuses when AUTH_JWKS_URL is configured', async () => {
    vi.stubEnv('DEV_JWT_SECRET', SECRET);
    vi.stubEnv('AUTH_JWKS_URL', 'https://login.example.com/keys');
    const failure = token('-w', 'acme', '-u', 'ada');
    await expect(failure).rejects.toMatchObject({ exitCode: 1 });
    await expect(failure).rejects.toThrow(/AUTH_JWKS_URL is set.*would reject a dev token/);
    expect(captured.stdout).toBe('');
  });

  it('rejects ids the server would refuse, bad lifetimes and missing flags', async () => {
    vi.stubEnv('DEV_JWT_SECRET', SECRET);
    await expect(token('-w', 'acme', '-u', '../root')).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
    expect(captured.stderr).toMatch(/may only contain letters/);
    await expect(token('-w', 'acme', '-u', 'ada', '--expires', 'soon')).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
    await expect(token('-w', 'acme', '-u', 'ada', '--expires', '0')).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
    await expect(token('-w', 'acme')).rejects.toMatchObject({
      code: 'commander.missingMandatoryOptionValue',
    });
    expect(captured.stdout).toBe('');
  });
});
