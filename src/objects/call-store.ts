/**
 * The downstream call queue and the outstanding call in the ChargePoint object's own SQLite storage, so they
 * survive hibernation, eviction, redeploys and reconnects.
 */
import type { CallStore, InflightCall, QueuedCall } from "../session/downstream-calls";

const INFLIGHT_KEY = "calls:inflight";
const TIMED_OUT_KEY = "calls:timed-out";
/** Timed-out calls remembered for late answers. */
const MAX_TIMED_OUT = 16;

interface QueueRow extends Record<string, SqlStorageValue> {
  seq: number;
  unique_id: string;
  action: string;
  frame: string;
  enqueued_at: number;
}

export class SqlCallStore implements CallStore {
  /** The outstanding call as last read or written (null: not read yet in this instance). */
  private inflight: InflightCall | undefined | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS dn_queue (
         seq INTEGER PRIMARY KEY,
         unique_id TEXT NOT NULL UNIQUE,
         action TEXT NOT NULL,
         frame TEXT NOT NULL,
         enqueued_at INTEGER NOT NULL
       )`,
    );
  }

  async getInflight(): Promise<InflightCall | undefined> {
    if (this.inflight === null) this.inflight = await this.storage.get<InflightCall>(INFLIGHT_KEY);
    return this.inflight;
  }

  async setInflight(call: InflightCall | undefined): Promise<void> {
    if (call === undefined) await this.storage.delete(INFLIGHT_KEY);
    else await this.storage.put(INFLIGHT_KEY, call);
    this.inflight = call;
  }

  async queueLength(): Promise<number> {
    return this.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM dn_queue").one().n;
  }

  async isQueued(uniqueId: string): Promise<boolean> {
    return this.storage.sql.exec("SELECT 1 FROM dn_queue WHERE unique_id = ?", uniqueId).toArray().length > 0;
  }

  /** `seq` is an SQL expression: after the last call, or before the first. */
  private insert(call: QueuedCall, seq: string): void {
    this.storage.sql.exec(
      `INSERT INTO dn_queue (seq, unique_id, action, frame, enqueued_at) VALUES ((${seq}), ?, ?, ?, ?)`,
      call.uniqueId,
      call.action,
      call.frame,
      call.enqueuedAt,
    );
  }

  async enqueue(call: QueuedCall): Promise<void> {
    this.insert(call, "SELECT COALESCE(MAX(seq), 0) + 1 FROM dn_queue");
  }

  async pushFront(call: QueuedCall): Promise<void> {
    this.insert(call, "SELECT COALESCE(MIN(seq), 1) - 1 FROM dn_queue");
  }

  async dequeue(): Promise<QueuedCall | undefined> {
    const row = this.storage.sql.exec<QueueRow>("SELECT * FROM dn_queue ORDER BY seq LIMIT 1").toArray()[0];
    if (row === undefined) return undefined;
    this.storage.sql.exec("DELETE FROM dn_queue WHERE seq = ?", row.seq);
    return { uniqueId: row.unique_id, action: row.action, frame: row.frame, enqueuedAt: row.enqueued_at };
  }

  async rememberTimedOut(uniqueId: string, action: string): Promise<void> {
    const list = (await this.storage.get<[string, string][]>(TIMED_OUT_KEY)) ?? [];
    const next = [...list.filter(([id]) => id !== uniqueId), [uniqueId, action] as [string, string]].slice(-MAX_TIMED_OUT);
    await this.storage.put(TIMED_OUT_KEY, next);
  }

  async takeTimedOut(uniqueId: string): Promise<string | undefined> {
    const list = (await this.storage.get<[string, string][]>(TIMED_OUT_KEY)) ?? [];
    const found = list.find(([id]) => id === uniqueId);
    if (found === undefined) return undefined;
    await this.storage.put(TIMED_OUT_KEY, list.filter(([id]) => id !== uniqueId));
    return found[1];
  }
}
