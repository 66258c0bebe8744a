/** The in-process EventBus: a listener set per session key. */
import type { BusMessage, EventBus } from './event-bus.js';

export class MemoryEventBus implements EventBus {
  private readonly listeners = new Map<string, Set<(message: BusMessage) => void>>();

  publish(sessionKey: string, message: BusMessage): void {
    const set = this.listeners.get(sessionKey);
    if (!set) return;
    for (const listener of [...set]) listener(message);
  }

  subscribe(sessionKey: string, listener: (message: BusMessage) => void): () => void {
    let set = this.listeners.get(sessionKey);
    if (!set) {
      set = new Set();
      this.listeners.set(sessionKey, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionKey);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
