/**
 * A real fleet-rlm server for the client tests (the shared test harness), plus `dropSockets()`,
 * which cuts every execution socket from the server side, as a network failure or a proxy
 * restart would.
 */
import { type Harness, startHarness } from '../support/server-harness.js';

export interface LiveServer extends Harness {
  dropSockets(): number;
}

export async function startLiveServer(env: Record<string, string> = {}): Promise<LiveServer> {
  const harness = await startHarness(env);
  return {
    ...harness,
    dropSockets: () => {
      let dropped = 0;
      for (const socket of harness.server.app.websocketServer.clients) {
        socket.terminate();
        dropped++;
      }
      return dropped;
    },
  };
}
