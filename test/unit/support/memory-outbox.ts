// The outbox's store in memory and a broker link that can be cut, as the ChargePoint object provides them.
import type { OutboxMessage, OutboxStore, UpstreamLink } from "../../../src/session/outbox";

export class MemoryOutboxStore implements OutboxStore {
  rows: { seq: number; message: OutboxMessage }[] = [];
  retryState: { at: number; attempts: number } | undefined;
  private seq = 0;
  async length() {
    return this.rows.length;
  }
  async append(message: OutboxMessage) {
    this.rows.push({ seq: ++this.seq, message });
  }
  async head() {
    return this.rows[0];
  }
  async remove(seq: number) {
    this.rows = this.rows.filter((r) => r.seq !== seq);
  }
  async retry() {
    return this.retryState;
  }
  async setRetry(retry: { at: number; attempts: number } | undefined) {
    this.retryState = retry;
  }
}

/** A broker link that can be cut; records what it published. */
export class FakeLink implements UpstreamLink {
  up = true;
  published: string[] = [];
  async publish(topic: string, payload: string) {
    if (!this.up) throw new Error("link down");
    this.published.push(`${topic} ${payload}`);
  }
  async isReady() {
    return this.up;
  }
}
