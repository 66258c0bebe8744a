/**
 * What the security tests share: a server with auth on (`securedHarness`), bearer headers for
 * any identity signed with its secret, and the bits of model script that make a turn run code.
 */
import { mintDevToken } from '../../../src/server/auth/dev-token.js';
import type { ScriptedRequest } from '../../support/scripted-lm-server.js';
import { type Harness, startHarness } from '../../support/server-harness.js';

export const JWT_SECRET = 'a-long-test-secret-that-is-not-the-default-value';

/** The real server with AUTH_REQUIRED=true, plus any other settings. */
export function securedHarness(env: Record<string, string> = {}): Promise<Harness> {
  return startHarness({ AUTH_REQUIRED: 'true', DEV_JWT_SECRET: JWT_SECRET, ...env });
}

/** `Authorization` header of a signed-in user. */
export async function bearer(workspaceId: string, userId: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await mintDevToken(JWT_SECRET, { workspaceId, userId })}` };
}

/** The last message a model request carries (a tool result after a tool call). */
export const lastMessage = (request: ScriptedRequest) => request.messages.at(-1) ?? { role: '', content: '' };

/** A planner reply that runs `code` with the run_python tool. */
export const runPython = (code: string) => ({
  text: '',
  toolCalls: [{ name: 'run_python', args: { code } }],
});
