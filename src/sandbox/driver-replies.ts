/**
 * What the host waits to hear from the driver outside executions: the `hello` that ends a
 * start, and the `ack` of each request (set_var, reset, register_tools). A message that
 * answers nothing the host asked is reported as such, so the caller can charge it as output.
 */
import { type AckMessage, DRIVER_PROTOCOL_VERSION, type DriverMessage } from './driver-protocol.js';
import { SandboxError } from './sandbox-error.js';

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

type HelloMessage = Extract<DriverMessage, { type: 'hello' }>;

export class DriverReplies {
  private hello?: Waiter;
  private readonly requests = new Map<string, Waiter>();

  /** The next hello; the promise never rejects unhandled (the runtime can die before anyone awaits it). */
  expectHello(): Promise<void> {
    const hello = new Promise<void>((resolve, reject) => {
      this.hello = { resolve, reject };
    });
    hello.catch(() => {});
    return hello;
  }

  get awaitingHello(): boolean {
    return this.hello !== undefined;
  }

  /** Fails the start that waits for hello; false when none waits. */
  failStart(error: Error): boolean {
    const waiter = this.hello;
    this.hello = undefined;
    waiter?.reject(error);
    return waiter !== undefined;
  }

  forgetHello(): void {
    this.hello = undefined;
  }

  expect(id: string, waiter: Waiter): void {
    this.requests.set(id, waiter);
  }

  /** Settles what `message` answers; false when it answers nothing the host asked. */
  settle(message: HelloMessage | AckMessage): boolean {
    if (message.type === 'hello') {
      const waiter = this.hello;
      this.hello = undefined;
      if (!waiter) return false;
      if (message.protocol === DRIVER_PROTOCOL_VERSION) waiter.resolve();
      else
        waiter.reject(
          new SandboxError(
            'protocol_error',
            `driver speaks protocol ${message.protocol}, host expects ${DRIVER_PROTOCOL_VERSION}`,
          ),
        );
      return true;
    }
    const request = message.id ? this.requests.get(message.id) : undefined;
    if (!request || !message.id) return false;
    this.requests.delete(message.id);
    if (message.error)
      request.reject(new SandboxError('request_failed', `${message.error.type}: ${message.error.message}`));
    else request.resolve();
    return true;
  }

  failRequests(error: Error): void {
    for (const [id, request] of this.requests) {
      this.requests.delete(id);
      request.reject(error);
    }
  }
}
