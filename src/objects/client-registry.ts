/**
 * ClientRegistry Durable Object: the list of connected charge points for the management API. Every ChargePoint
 * object registers on connect and unregisters on close, so the list is correct the moment either returns
 * (KV's eventual consistency would show a charge point for up to a minute after it left). One object, in SQLite,
 * with filtering and paging in SQL.
 */
import { DurableObject } from "cloudflare:workers";

export interface RegisteredClient {
  readonly clientid: string;
  readonly username: string | null;
  readonly proto_ver: string;
  readonly ip_address: string | null;
  readonly connected_at: number;
  /** Which connection registered; a late unregister from an older connection leaves a newer one alone. */
  readonly conn_id: string;
  /** JSON of the CertificateIdentity the charge point authenticated with, or null. */
  readonly client_certificate: string | null;
}

export interface ClientQuery {
  readonly page: number;
  readonly limit: number;
  readonly like_clientid?: string;
  readonly like_username?: string;
  /** Exact OCPP version ("1.6", "2.0.1", "2.1"), as EMQX's `proto_ver` filter. */
  readonly proto_ver?: string;
}

export interface ClientPage {
  readonly rows: RegisteredClient[];
  readonly count: number;
}

const REGISTRY_NAME = "registry";

/** The one ClientRegistry object. */
export function clientRegistry(env: Env) {
  return env.REGISTRY.get(env.REGISTRY.idFromName(REGISTRY_NAME));
}

type Row = RegisteredClient & Record<string, SqlStorageValue>;

export class ClientRegistry extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS clients (
         clientid TEXT PRIMARY KEY,
         username TEXT,
         proto_ver TEXT NOT NULL,
         ip_address TEXT,
         connected_at INTEGER NOT NULL,
         conn_id TEXT NOT NULL
       )`,
    );
    // Added with client certificates; a table made before has no such column.
    const columns = ctx.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('clients')").toArray();
    if (!columns.some((c) => c.name === "client_certificate")) ctx.storage.sql.exec("ALTER TABLE clients ADD COLUMN client_certificate TEXT");
  }

  async register(client: RegisteredClient): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO clients (clientid, username, proto_ver, ip_address, connected_at, conn_id, client_certificate) VALUES (?, ?, ?, ?, ?, ?, ?)",
      client.clientid,
      client.username,
      client.proto_ver,
      client.ip_address,
      client.connected_at,
      client.conn_id,
      client.client_certificate,
    );
  }

  async unregister(clientid: string, connId: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM clients WHERE clientid = ? AND conn_id = ?", clientid, connId);
  }

  async get(clientid: string): Promise<RegisteredClient | undefined> {
    return this.ctx.storage.sql.exec<Row>("SELECT * FROM clients WHERE clientid = ?", clientid).toArray()[0];
  }

  /** How many charge points are connected with each OCPP version. */
  async countByVersion(): Promise<Record<string, number>> {
    const rows = this.ctx.storage.sql.exec<{ proto_ver: string; n: number }>("SELECT proto_ver, COUNT(*) AS n FROM clients GROUP BY proto_ver").toArray();
    return Object.fromEntries(rows.map((r) => [r.proto_ver, r.n]));
  }

  async list(query: ClientQuery): Promise<ClientPage> {
    const where: string[] = [];
    const args: string[] = [];
    // Substring matches (EMQX's like_*), without LIKE's wildcards.
    if (query.like_clientid) {
      where.push("instr(clientid, ?) > 0");
      args.push(query.like_clientid);
    }
    if (query.like_username) {
      where.push("instr(COALESCE(username, ''), ?) > 0");
      args.push(query.like_username);
    }
    if (query.proto_ver) {
      where.push("proto_ver = ?");
      args.push(query.proto_ver);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const count = this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM clients ${clause}`, ...args).one().n;
    const rows = this.ctx.storage.sql
      .exec<Row>(`SELECT * FROM clients ${clause} ORDER BY clientid LIMIT ? OFFSET ?`, ...args, query.limit, (query.page - 1) * query.limit)
      .toArray();
    return { rows, count };
  }
}
