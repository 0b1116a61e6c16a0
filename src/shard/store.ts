/**
 * A gateway shard's durable state, in its SQLite storage, keyed by charge point: the session of every charge point
 * the shard holds (connected, or away with calls still queued, or gone and remembered for a while), the CSMS's
 * queued and outstanding calls, the outbox of messages the broker has not confirmed, and the filters its broker
 * session holds. Each charge point's part is handed to its session through the same interfaces (CallStore,
 * OutboxStore) the session was written against. Everything a cold start needs is read in a few queries
 * (`load`), never one per charge point per message.
 */
import type { CallStore, InflightCall, QueuedCall } from "../session/downstream-calls";
import type { OutboxMessage, OutboxStore } from "../session/outbox";
import type { FilterState, FilterStore } from "../link/subscriptions";

/** Timed-out calls remembered per charge point for late answers. */
const MAX_TIMED_OUT = 16;

/** What the shard remembers of a charge point's current or last connection. */
export interface SessionRecord {
  readonly cid: string;
  readonly connId: string;
  /** The subprotocol it speaks (`ocpp1.6`, `ocpp2.0.1`, `ocpp2.1`). */
  readonly protocol: string;
  /** The configuration it connected under (configs table). */
  readonly configId: number;
  readonly connectedAt: number;
  /** Set once the connection's end was handled; absent while it is (or was, before a restart) open. */
  readonly closedAt?: number;
  /** While it is away: when its queued calls end (`session_expired`). */
  readonly expiresAt?: number;
  readonly username?: string;
  readonly ip?: string;
  /** JSON of the client certificate it authenticated with (security profile 3). */
  readonly certificate?: string;
  /** Where the edge received its request (`<colo>,<continent>`, shard/address.ts): its region follows from it. */
  readonly placement: string;
  /** False until this shard's claim on the charge point was published (handover.ts); absent: claimed. */
  readonly claimed?: boolean;
}

type Row = Record<string, SqlStorageValue>;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS sessions (
     cid TEXT PRIMARY KEY, conn_id TEXT NOT NULL, protocol TEXT NOT NULL, config_id INTEGER NOT NULL,
     connected_at INTEGER NOT NULL, closed_at INTEGER, expires_at INTEGER,
     username TEXT, ip TEXT, certificate TEXT, placement TEXT NOT NULL, unclaimed INTEGER)`,
  `CREATE TABLE IF NOT EXISTS configs (id INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL UNIQUE)`,
  `CREATE TABLE IF NOT EXISTS dn_queue (
     cid TEXT NOT NULL, seq INTEGER NOT NULL, unique_id TEXT NOT NULL, action TEXT NOT NULL, frame TEXT NOT NULL,
     enqueued_at INTEGER NOT NULL, PRIMARY KEY (cid, seq), UNIQUE (cid, unique_id))`,
  `CREATE TABLE IF NOT EXISTS dn_inflight (
     cid TEXT PRIMARY KEY, unique_id TEXT NOT NULL, action TEXT NOT NULL, sent_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
     fingerprint INTEGER)`,
  `CREATE TABLE IF NOT EXISTS dn_timed_out (
     cid TEXT NOT NULL, unique_id TEXT NOT NULL, action TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (cid, unique_id))`,
  `CREATE TABLE IF NOT EXISTS outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, cid TEXT NOT NULL, topic TEXT NOT NULL, payload TEXT NOT NULL,
     retain INTEGER NOT NULL, queued_at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS outbox_by_cid ON outbox (cid, seq)`,
  `CREATE TABLE IF NOT EXISTS outbox_retry (cid TEXT PRIMARY KEY, at INTEGER NOT NULL, attempts INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS filters (filter TEXT PRIMARY KEY, state TEXT NOT NULL)`,
];

function optional<T extends SqlStorageValue>(v: SqlStorageValue | undefined): T | undefined {
  return v === null || v === undefined ? undefined : (v as T);
}

function toRecord(r: Row): SessionRecord {
  return {
    cid: r.cid as string,
    connId: r.conn_id as string,
    protocol: r.protocol as string,
    configId: r.config_id as number,
    connectedAt: r.connected_at as number,
    placement: r.placement as string,
    ...(optional(r.closed_at) === undefined ? {} : { closedAt: r.closed_at as number }),
    ...(optional(r.expires_at) === undefined ? {} : { expiresAt: r.expires_at as number }),
    ...(optional(r.username) === undefined ? {} : { username: r.username as string }),
    ...(optional(r.ip) === undefined ? {} : { ip: r.ip as string }),
    ...(optional(r.certificate) === undefined ? {} : { certificate: r.certificate as string }),
    ...(r.unclaimed === 1 ? { claimed: false } : {}),
  };
}

export class ShardStore {
  private readonly sql: SqlStorage;
  /** Queued calls per charge point, and outbox lengths, kept in step with every change (read once at start). */
  private readonly queued = new Map<string, number>();
  private readonly outboxLengths = new Map<string, number>();
  private readonly inflight = new Map<string, InflightCall>();
  private readonly retries = new Map<string, { at: number; attempts: number }>();

  constructor(storage: DurableObjectStorage) {
    this.sql = storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    for (const r of this.sql.exec<{ cid: string; n: number }>("SELECT cid, COUNT(*) AS n FROM dn_queue GROUP BY cid")) this.queued.set(r.cid, r.n);
    for (const r of this.sql.exec<{ cid: string; n: number }>("SELECT cid, COUNT(*) AS n FROM outbox GROUP BY cid")) this.outboxLengths.set(r.cid, r.n);
    for (const r of this.sql.exec<Row>("SELECT * FROM dn_inflight")) {
      const fingerprint = optional<number>(r.fingerprint);
      this.inflight.set(r.cid as string, {
        uniqueId: r.unique_id as string,
        action: r.action as string,
        sentAt: r.sent_at as number,
        deadline: r.deadline as number,
        ...(fingerprint === undefined ? {} : { fingerprint }),
      });
    }
    for (const r of this.sql.exec<Row>("SELECT * FROM outbox_retry")) this.retries.set(r.cid as string, { at: r.at as number, attempts: r.attempts as number });
  }

  /** Every session the shard holds (one query, at start). */
  sessions(): SessionRecord[] {
    return this.sql.exec<Row>("SELECT * FROM sessions").toArray().map(toRecord);
  }

  /** Charge points with messages waiting in the outbox, oldest first. */
  outboxCids(): string[] {
    return [...this.outboxLengths.keys()];
  }

  putSession(r: SessionRecord): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO sessions (cid, conn_id, protocol, config_id, connected_at, closed_at, expires_at, username, ip, certificate, placement, unclaimed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.cid,
      r.connId,
      r.protocol,
      r.configId,
      r.connectedAt,
      r.closedAt ?? null,
      r.expiresAt ?? null,
      r.username ?? null,
      r.ip ?? null,
      r.certificate ?? null,
      r.placement,
      r.claimed === false ? 1 : null,
    );
  }

  /** Forgets a charge point: its session and its calls (its outbox drains on its own). */
  deleteSession(cid: string): void {
    this.sql.exec("DELETE FROM sessions WHERE cid = ?", cid);
    if (this.queued.has(cid)) this.sql.exec("DELETE FROM dn_queue WHERE cid = ?", cid);
    if (this.inflight.has(cid)) this.sql.exec("DELETE FROM dn_inflight WHERE cid = ?", cid);
    this.sql.exec("DELETE FROM dn_timed_out WHERE cid = ?", cid);
    this.queued.delete(cid);
    this.inflight.delete(cid);
  }

  /** The id of a configuration's JSON text (written once per distinct configuration). */
  configId(json: string): number {
    const found = this.sql.exec<{ id: number }>("SELECT id FROM configs WHERE json = ?", json).toArray()[0];
    if (found !== undefined) return found.id;
    return this.sql.exec<{ id: number }>("INSERT INTO configs (json) VALUES (?) RETURNING id", json).one().id;
  }

  configJson(id: number): string | undefined {
    return this.sql.exec<{ json: string }>("SELECT json FROM configs WHERE id = ?", id).toArray()[0]?.json;
  }

  /** Drops configurations no session refers to any more. */
  pruneConfigs(): void {
    this.sql.exec("DELETE FROM configs WHERE id NOT IN (SELECT config_id FROM sessions)");
  }

  queueLength(cid: string): number {
    return this.queued.get(cid) ?? 0;
  }

  outboxLength(cid: string): number {
    return this.outboxLengths.get(cid) ?? 0;
  }

  inflightOf(cid: string): InflightCall | undefined {
    return this.inflight.get(cid);
  }

  retryOf(cid: string): { at: number; attempts: number } | undefined {
    return this.retries.get(cid);
  }

  /** One charge point's calls, as its session's DownstreamCalls sees them. */
  calls(cid: string): CallStore {
    const insert = (call: QueuedCall, seq: string): void => {
      this.sql.exec(
        `INSERT INTO dn_queue (cid, seq, unique_id, action, frame, enqueued_at)
         VALUES (?, (${seq}), ?, ?, ?, ?)`,
        cid,
        cid,
        call.uniqueId,
        call.action,
        call.frame,
        call.enqueuedAt,
      );
      this.queued.set(cid, this.queueLength(cid) + 1);
    };
    return {
      getInflight: async () => this.inflight.get(cid),
      setInflight: async (call) => {
        if (call === undefined) {
          if (this.inflight.delete(cid)) this.sql.exec("DELETE FROM dn_inflight WHERE cid = ?", cid);
          return;
        }
        this.sql.exec(
          "INSERT OR REPLACE INTO dn_inflight (cid, unique_id, action, sent_at, deadline, fingerprint) VALUES (?, ?, ?, ?, ?, ?)",
          cid,
          call.uniqueId,
          call.action,
          call.sentAt,
          call.deadline,
          call.fingerprint ?? null,
        );
        this.inflight.set(cid, call);
      },
      queueLength: async () => this.queueLength(cid),
      queuedFrame: async (uniqueId) =>
        this.queueLength(cid) === 0
          ? undefined
          : this.sql.exec<{ frame: string }>("SELECT frame FROM dn_queue WHERE cid = ? AND unique_id = ?", cid, uniqueId).toArray()[0]?.frame,
      enqueue: async (call) => insert(call, "SELECT COALESCE(MAX(seq), 0) + 1 FROM dn_queue WHERE cid = ?"),
      pushFront: async (call) => insert(call, "SELECT COALESCE(MIN(seq), 1) - 1 FROM dn_queue WHERE cid = ?"),
      dequeue: async () => {
        if (this.queueLength(cid) === 0) return undefined;
        const row = this.sql.exec<Row>("SELECT * FROM dn_queue WHERE cid = ? ORDER BY seq LIMIT 1", cid).toArray()[0];
        if (row === undefined) return undefined;
        this.sql.exec("DELETE FROM dn_queue WHERE cid = ? AND seq = ?", cid, row.seq as number);
        const left = this.queueLength(cid) - 1;
        if (left > 0) this.queued.set(cid, left);
        else this.queued.delete(cid);
        return { uniqueId: row.unique_id as string, action: row.action as string, frame: row.frame as string, enqueuedAt: row.enqueued_at as number };
      },
      rememberTimedOut: async (uniqueId, action) => {
        this.sql.exec("INSERT OR REPLACE INTO dn_timed_out (cid, unique_id, action, at) VALUES (?, ?, ?, ?)", cid, uniqueId, action, Date.now());
        this.sql.exec(
          `DELETE FROM dn_timed_out WHERE cid = ? AND unique_id NOT IN
             (SELECT unique_id FROM dn_timed_out WHERE cid = ? ORDER BY at DESC LIMIT ${MAX_TIMED_OUT})`,
          cid,
          cid,
        );
      },
      takeTimedOut: async (uniqueId) => {
        const row = this.sql.exec<{ action: string }>("DELETE FROM dn_timed_out WHERE cid = ? AND unique_id = ? RETURNING action", cid, uniqueId).toArray()[0];
        return row?.action;
      },
    };
  }

  /** One charge point's outbox, as its Outbox sees it. */
  outbox(cid: string): OutboxStore {
    return {
      length: async () => this.outboxLength(cid),
      append: async (message: OutboxMessage) => {
        this.sql.exec(
          "INSERT INTO outbox (cid, topic, payload, retain, queued_at) VALUES (?, ?, ?, ?, ?)",
          cid,
          message.topic,
          message.payload,
          message.retain ? 1 : 0,
          message.queuedAt,
        );
        this.outboxLengths.set(cid, this.outboxLength(cid) + 1);
      },
      head: async () => {
        if (this.outboxLength(cid) === 0) return undefined;
        const row = this.sql.exec<Row>("SELECT * FROM outbox WHERE cid = ? ORDER BY seq LIMIT 1", cid).toArray()[0];
        if (row === undefined) return undefined;
        return {
          seq: row.seq as number,
          message: { topic: row.topic as string, payload: row.payload as string, retain: row.retain === 1, queuedAt: row.queued_at as number },
        };
      },
      remove: async (seq) => {
        const removed = this.sql.exec("DELETE FROM outbox WHERE seq = ?", seq).rowsWritten;
        const left = Math.max(0, this.outboxLength(cid) - removed);
        if (left > 0) this.outboxLengths.set(cid, left);
        else this.outboxLengths.delete(cid);
      },
      retry: async () => this.retries.get(cid),
      setRetry: async (retry) => {
        if (retry === undefined) {
          if (this.retries.delete(cid)) this.sql.exec("DELETE FROM outbox_retry WHERE cid = ?", cid);
          return;
        }
        this.sql.exec("INSERT OR REPLACE INTO outbox_retry (cid, at, attempts) VALUES (?, ?, ?)", cid, retry.at, retry.attempts);
        this.retries.set(cid, retry);
      },
    };
  }

  /** The filters the shard's broker session holds. */
  filters(): FilterStore {
    return {
      load: () => new Map(this.sql.exec<{ filter: string; state: string }>("SELECT filter, state FROM filters").toArray().map((r) => [r.filter, r.state as FilterState])),
      set: (filters, state) => {
        for (const f of filters) this.sql.exec("INSERT OR REPLACE INTO filters (filter, state) VALUES (?, ?)", f, state);
      },
      remove: (filters) => {
        for (const f of filters) this.sql.exec("DELETE FROM filters WHERE filter = ?", f);
      },
    };
  }
}
