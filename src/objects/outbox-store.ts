/** The outbox in the ChargePoint object's SQLite storage (survives eviction and redeploys). */
import type { OutboxMessage, OutboxStore } from "../session/outbox";

const RETRY_KEY = "outbox:retry";

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  topic: string;
  payload: string;
  retain: number;
  queued_at: number;
}

export class SqlOutboxStore implements OutboxStore {
  /** Read once per instance, then kept in step with every change (the common case, empty, costs no query). */
  private count: number | undefined;
  private retryState: { at: number; attempts: number } | undefined | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS outbox (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         topic TEXT NOT NULL,
         payload TEXT NOT NULL,
         retain INTEGER NOT NULL,
         queued_at INTEGER NOT NULL
       )`,
    );
  }

  async length(): Promise<number> {
    this.count ??= this.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
    return this.count;
  }

  async append(message: OutboxMessage): Promise<void> {
    this.storage.sql.exec(
      "INSERT INTO outbox (topic, payload, retain, queued_at) VALUES (?, ?, ?, ?)",
      message.topic,
      message.payload,
      message.retain ? 1 : 0,
      message.queuedAt,
    );
    this.count = (await this.length()) + 1;
  }

  async head(): Promise<{ seq: number; message: OutboxMessage } | undefined> {
    const row = this.storage.sql.exec<Row>("SELECT * FROM outbox ORDER BY seq LIMIT 1").toArray()[0];
    if (row === undefined) return undefined;
    return { seq: row.seq, message: { topic: row.topic, payload: row.payload, retain: row.retain === 1, queuedAt: row.queued_at } };
  }

  async remove(seq: number): Promise<void> {
    const removed = this.storage.sql.exec("DELETE FROM outbox WHERE seq = ?", seq).rowsWritten;
    if (this.count !== undefined) this.count = Math.max(0, this.count - removed);
  }

  async retry(): Promise<{ at: number; attempts: number } | undefined> {
    if (this.retryState === null) this.retryState = await this.storage.get<{ at: number; attempts: number }>(RETRY_KEY);
    return this.retryState;
  }

  async setRetry(retry: { at: number; attempts: number } | undefined): Promise<void> {
    if (retry === undefined) {
      if (this.retryState !== undefined) await this.storage.delete(RETRY_KEY);
    } else {
      await this.storage.put(RETRY_KEY, retry);
    }
    this.retryState = retry;
  }
}
