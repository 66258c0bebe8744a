/**
 * A real fleet-rlm server for the client tests: in process, on a free loopback port, with a temp
 * data directory, the process sandbox, and the planner pointed at a scripted OpenAI-compatible
 * server. `dropSockets()` cuts every execution socket from the server side, as a network
 * failure or a proxy restart would.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';

export interface LiveServer {
  server: RunningServer;
  lm: ScriptedLmServer;
  url: string;
  dataDir: string;
  dropSockets(): number;
  close(): Promise<void>;
}

export async function startLiveServer(env: Record<string, string> = {}): Promise<LiveServer> {
  const lm = await ScriptedLmServer.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-client-test-'));
  const config = loadConfig({
    FLEET_DATA_DIR: dataDir,
    FLEET_PORT: '0',
    SANDBOX_PROVIDER: 'process',
    SANDBOX_WARM_POOL: '0',
    DSPY_LM_MODEL: 'openai/planner',
    DSPY_LM_API_BASE: lm.baseUrl,
    DSPY_LLM_API_KEY: 'k',
    LM_MAX_RETRIES: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const server = await startServer(config, { version: 'test', logger: false, drainGraceMs: 200 });
  return {
    server,
    lm,
    url: server.url,
    dataDir,
    dropSockets: () => {
      let dropped = 0;
      for (const socket of server.app.websocketServer.clients) {
        socket.terminate();
        dropped++;
      }
      return dropped;
    },
    close: async () => {
      await server.close();
      await lm.close();
    },
  };
}
