/**
 * The gateway as `npm start` builds it, with counters around it for the cost model (bench/lib/cost-count.mjs):
 * the same Worker and Durable Object classes, subclassed only to count what Cloudflare bills — Worker requests,
 * Durable Object requests (fetch, RPC methods, alarms; incoming WebSocket messages counted apart, billed 20:1: the
 * shard's charge point sockets get one more "message" listener that counts),
 * SQLite rows read and written (SQL cursors' own figures; key-value methods one row per key; each setAlarm one
 * row written) and KV reads. Behaviour is unchanged: every counted call is passed on as it came.
 * GET /__bench/counters answers the totals so far (not counted as a request).
 */
import worker from "../../src/index";
import { GatewayShard } from "../../src/objects/gateway-shard";
import { LoginGuard } from "../../src/objects/login-guard";

interface Tally {
  workerRequests: number;
  /** Billed Durable Object requests by "Class.method" (fetch, RPC methods, alarm). */
  doRequests: Record<string, number>;
  /** Incoming WebSocket messages by class (billed at 20:1). */
  wsMessages: Record<string, number>;
  /** Wall-clock milliseconds inside handlers, by "Class.method" (Date.now advances only across I/O in workerd). */
  handlerMs: Record<string, number>;
  kvRowsRead: number;
  kvRowsWritten: number;
  setAlarms: number;
  kvReads: number;
}

const tally: Tally = { workerRequests: 0, doRequests: {}, wsMessages: {}, handlerMs: {}, kvRowsRead: 0, kvRowsWritten: 0, setAlarms: 0, kvReads: 0 };
/** SQL cursors: their rowsRead / rowsWritten grow as they are consumed, so they are summed when asked. */
let cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
let sqlRowsRead = 0;
let sqlRowsWritten = 0;

function settleCursors(): void {
  for (const c of cursors) {
    sqlRowsRead += c.rowsRead;
    sqlRowsWritten += c.rowsWritten;
  }
  cursors = [];
}

const bump = (map: Record<string, number>, key: string, by = 1) => (map[key] = (map[key] ?? 0) + by);
const keysIn = (arg: unknown): number => (Array.isArray(arg) ? arg.length : 1);

function bind<T extends object>(target: T, prop: string | symbol): unknown {
  const value: unknown = Reflect.get(target, prop, target);
  return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

function countingSql(sql: SqlStorage): SqlStorage {
  return new Proxy(sql, {
    get(target, prop) {
      if (prop !== "exec") return bind(target, prop);
      return (query: string, ...bindings: unknown[]) => {
        const cursor = target.exec(query, ...bindings);
        cursors.push(cursor);
        return cursor;
      };
    },
  });
}

function countingStorage(storage: DurableObjectStorage): DurableObjectStorage {
  const sql = countingSql(storage.sql);
  return new Proxy(storage, {
    get(target, prop) {
      switch (prop) {
        case "sql":
          return sql;
        case "get":
          return (keys: unknown, ...rest: unknown[]) => {
            tally.kvRowsRead += keysIn(keys);
            return (target.get as (...a: unknown[]) => unknown)(keys, ...rest);
          };
        case "list":
          return async (...args: unknown[]) => {
            const found = (await (target.list as (...a: unknown[]) => Promise<Map<string, unknown>>)(...args)) as Map<string, unknown>;
            tally.kvRowsRead += Math.max(1, found.size);
            return found;
          };
        case "put":
          return (keyOrEntries: unknown, ...rest: unknown[]) => {
            tally.kvRowsWritten += typeof keyOrEntries === "string" ? 1 : Object.keys(keyOrEntries as object).length;
            return (target.put as (...a: unknown[]) => unknown)(keyOrEntries, ...rest);
          };
        case "delete":
          return (keys: unknown, ...rest: unknown[]) => {
            tally.kvRowsWritten += keysIn(keys);
            return (target.delete as (...a: unknown[]) => unknown)(keys, ...rest);
          };
        case "setAlarm":
          return (...args: unknown[]) => {
            tally.setAlarms++;
            return (target.setAlarm as (...a: unknown[]) => unknown)(...args);
          };
        default:
          return bind(target, prop);
      }
    },
  });
}

/**
 * The runtime's base class accepts only the real state object, so its `storage` is shadowed on that object
 * (an own property in front of the prototype's getter) rather than the state being wrapped.
 */
function countStorageOf(ctx: DurableObjectState): DurableObjectState {
  Object.defineProperty(ctx, "storage", { value: countingStorage(ctx.storage), configurable: true });
  return ctx;
}

function countingKv(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, prop) {
      if (prop !== "get" && prop !== "getWithMetadata") return bind(target, prop);
      return (keys: unknown, ...rest: unknown[]) => {
        tally.kvReads += keysIn(keys);
        return (Reflect.get(target, prop) as (...a: unknown[]) => unknown).call(target, keys, ...rest);
      };
    },
  });
}

function countingEnv(env: Env): Env {
  const kv = countingKv(env.GATEWAY_KV);
  return new Proxy(env, { get: (target, prop) => (prop === "GATEWAY_KV" ? kv : Reflect.get(target, prop)) });
}

type ObjectClass = new (ctx: DurableObjectState, env: Env) => object;

/** A subclass of a Durable Object class whose entry points count themselves and whose storage and KV are counted. */
function counted<C extends ObjectClass>(Base: C, name: string, entryPoints: readonly string[]): C {
  const Counted = class extends (Base as ObjectClass) {
    constructor(ctx: DurableObjectState, env: Env) {
      super(countStorageOf(ctx), countingEnv(env));
    }
  };
  for (const method of entryPoints) {
    const original = (Base.prototype as Record<string, unknown>)[method];
    if (typeof original !== "function") throw new Error(`${name}.${method} is not a method`);
    Object.defineProperty(Counted.prototype, method, {
      value: async function (this: object, ...args: unknown[]) {
        const key = `${name}.${method}`;
        if (method === "webSocketMessage") bump(tally.wsMessages, name);
        else bump(tally.doRequests, key);
        const started = Date.now();
        try {
          return await (original as (...a: unknown[]) => unknown).apply(this, args);
        } finally {
          bump(tally.handlerMs, key, Date.now() - started);
        }
      },
      writable: true,
      configurable: true,
    });
  }
  return Counted as unknown as C;
}

const CountedGatewayShard = counted(GatewayShard, "GatewayShard", [
  "fetch",
  "alarm",
  "clients",
  "client",
  "holds",
  "kick",
  "status",
  "figures",
  "reconfigure",
  "restartLink",
  "adopt",
]);
// Incoming messages on the charge points' sockets (standard API: event listeners the shard adds in `accept`).
const accept = (CountedGatewayShard.prototype as unknown as Record<string, (server: WebSocket) => void>).accept as (server: WebSocket) => void;
Object.defineProperty(CountedGatewayShard.prototype, "accept", {
  value: function (this: object, server: WebSocket) {
    accept.call(this, server);
    server.addEventListener("message", () => bump(tally.wsMessages, "GatewayShard"));
  },
  configurable: true,
  writable: true,
});
const CountedLoginGuard = counted(LoginGuard, "LoginGuard", ["admitCredential", "finishCredential", "admitSource", "finishSource", "markChanged", "mayRewrite", "alarm"]);

export { CountedGatewayShard as GatewayShard, CountedLoginGuard as LoginGuard };

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === "/__bench/counters") {
      settleCursors();
      return Response.json({ ...tally, sqlRowsRead, sqlRowsWritten });
    }
    tally.workerRequests++;
    return worker.fetch(request, countingEnv(env), ctx);
  },
} satisfies ExportedHandler<Env>;
