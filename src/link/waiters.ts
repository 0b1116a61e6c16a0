/** Callers waiting for the broker link to be connected, each for a bounded time. */
import type { MqttSession } from "../mqtt/session";

interface Waiter {
  resolve(session: MqttSession): void;
  reject(error: Error): void;
}

export class ReadyWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves with the session once connected; rejects with `onTimeout()` after `timeoutMs`. */
  wait(timeoutMs: number, onTimeout: () => Error): Promise<MqttSession> {
    return new Promise<MqttSession>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(onTimeout());
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  resolveAll(session: MqttSession): void {
    for (const w of this.waiters) w.resolve(session);
    this.waiters.clear();
  }

  rejectAll(error: Error): void {
    for (const w of this.waiters) w.reject(error);
    this.waiters.clear();
  }
}
