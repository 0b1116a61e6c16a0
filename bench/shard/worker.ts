/**
 * The benchmark's shard floors: the least a "gateway shard" can do. One Durable Object accepts many charge points'
 * sockets and holds its own MQTT connection (the gateway's MqttSession, mqtt-packet), relaying text frames as they
 * are in both directions: no RPC, no parsing, validation, translation, session rules or storage per message.
 * Charge point id → shard by the gateway's FNV-1a hash mod SHARDS.
 *
 * Variants (vars), so that the kinds of socket and broker transport can be compared side by side in one run:
 *  - SOCKETS: `hibernation` (ctx.acceptWebSocket, webSocketMessage handler) or `standard` (ws.accept(), event
 *    listeners);
 *  - MQTT_TRANSPORT: `ws` (MQTT over WebSocket, MQTT_URL) or `tcp` (MQTT over TCP through `connect()` from
 *    cloudflare:sockets, MQTT_TCP = host:port);
 *  - COALESCE: `micro` or `macro` writes the MQTT packets produced in one turn as one socket write (MQTT 3.1.1
 *    §6.0 allows several packets in one WebSocket message; TCP is a byte stream); `0` writes each packet.
 * Upstream: `<ROOT>/cp/<cid>` (raw OCPP-J frame, QoS 1); downstream: `<ROOT>/cs/+`, kept when the id hashes here.
 */
import { connect } from "cloudflare:sockets";
import { DurableObject } from "cloudflare:workers";
import { MqttSession, type MqttTransport } from "../../src/mqtt/session";
import { shardOf } from "../../src/mqtt/shard";

interface ShardEnv {
  readonly SHARD: DurableObjectNamespace<Shard>;
  readonly MQTT_URL: string;
  readonly MQTT_TCP: string;
  readonly MQTT_CLIENT_ID_PREFIX: string;
  readonly SHARDS: string;
  readonly SOCKETS: string;
  readonly MQTT_TRANSPORT: string;
  readonly COALESCE: string;
  readonly ROOT: string;
}

const PREFIX = "/ocpp/";
const decoder = new TextDecoder();

function shards(env: ShardEnv): number {
  const n = Number(env.SHARDS);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * Packets sent in one turn leave as one write: `micro` flushes when the current task's microtasks are done (what
 * one event produced), `macro` on a 0 ms timer (after the events already queued, at the cost of a timer hop).
 */
function coalescing(write: (bytes: Uint8Array) => void, mode: string): MqttTransport {
  let pending: Uint8Array[] = [];
  const flush = (): void => {
    const parts = pending;
    pending = [];
    write(joined(parts));
  };
  return {
    send: (packet) => {
      if (pending.length === 0) {
        if (mode === "macro") setTimeout(flush, 0);
        else queueMicrotask(flush);
      }
      pending.push(...packet);
    },
  };
}

/** Pieces copied into one array (the codec's pieces include constants it shares, so they are never written as they are). */
function joined(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export class Shard extends DurableObject<ShardEnv> {
  private shard = -1;
  /** Open sockets by charge point id; rebuilt from the runtime's list if the object was restarted. */
  private readonly sockets = new Map<string, WebSocket>();
  private ready: Promise<MqttSession> | undefined;
  private readonly up: string;
  private readonly down: string;

  constructor(ctx: DurableObjectState, env: ShardEnv) {
    super(ctx, env);
    this.up = `${env.ROOT || "shard"}/cp/`;
    this.down = `${env.ROOT || "shard"}/cs/`;
    for (const ws of ctx.getWebSockets()) {
      const cid = ctx.getTags(ws)[0];
      if (cid !== undefined) this.sockets.set(cid, ws);
    }
  }

  override async fetch(request: Request): Promise<Response> {
    const cid = decodeURIComponent(new URL(request.url).pathname.slice(PREFIX.length));
    this.shard = Number(request.headers.get("X-Shard") ?? "0");
    await this.link();
    const { 0: client, 1: server } = new WebSocketPair();
    if (this.env.SOCKETS === "standard") {
      server.accept();
      server.addEventListener("message", (event) => void this.fromChargePoint(cid, event.data));
      server.addEventListener("close", (event) => this.closed(cid, server, event.code));
      server.addEventListener("error", () => this.closed(cid, server, 1011));
    } else {
      this.ctx.acceptWebSocket(server, [cid]);
    }
    this.sockets.get(cid)?.close(1000, "replaced");
    this.sockets.set(cid, server);
    const offered = request.headers.get("Sec-WebSocket-Protocol")?.split(",")[0]?.trim();
    return new Response(null, { status: 101, webSocket: client, ...(offered ? { headers: { "Sec-WebSocket-Protocol": offered } } : {}) });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.fromChargePoint(this.ctx.getTags(ws)[0] as string, message);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    const cid = this.ctx.getTags(ws)[0];
    if (cid !== undefined) this.closed(cid, ws, code);
  }

  private async fromChargePoint(cid: string, message: string | ArrayBuffer): Promise<void> {
    const text = typeof message === "string" ? message : decoder.decode(message);
    try {
      await (await this.link()).publish(this.up + cid, text);
    } catch {
      // The floor has no outbox: a publish the broker did not confirm is lost (the load generator counts it).
    }
  }

  private closed(cid: string, ws: WebSocket, code: number): void {
    if (this.sockets.get(cid) === ws) this.sockets.delete(cid);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // already closed
    }
  }

  /** The shard's own MQTT connection, opened on first use (the floor does not reconnect: a drop fails the run). */
  private link(): Promise<MqttSession> {
    this.ready ??= new Promise<MqttSession>((resolve, reject) => {
      const opened = this.env.MQTT_TRANSPORT === "tcp" ? this.openTcp() : this.openWebSocket();
      const coalesce = this.env.COALESCE;
      const transport = coalesce === "micro" || coalesce === "macro" ? coalescing(opened.write, coalesce) : { send: (packet: readonly Uint8Array[]) => opened.write(joined(packet)) };
      const session = new MqttSession(
        transport,
        {
          clientId: `${this.env.MQTT_CLIENT_ID_PREFIX}-${this.shard}`,
          keepaliveSeconds: 30,
          cleanSession: false,
          subscriptions: [`${this.down}+`],
          ackTimeoutMs: 10_000,
        },
        {
          onReady: () => resolve(session),
          onMessage: async (topic, payload) => this.deliver(topic, payload),
          onEnd: (end) => {
            this.ready = undefined;
            reject(new Error(end.message));
            opened.close();
          },
        },
      );
      opened.start(session);
    });
    return this.ready;
  }

  private openWebSocket(): { write: (bytes: Uint8Array) => void; start: (s: MqttSession) => void; close: () => void } {
    const socket = new WebSocket(this.env.MQTT_URL, "mqtt");
    socket.binaryType = "arraybuffer";
    return {
      write: (bytes) => socket.send(bytes),
      start: (session) => {
        socket.addEventListener("open", () => session.start());
        socket.addEventListener("message", (event) => {
          if (event.data instanceof ArrayBuffer) session.receive(new Uint8Array(event.data));
        });
        socket.addEventListener("close", () => session.end({ kind: "closed", message: "WebSocket closed" }));
        socket.addEventListener("error", () => session.end({ kind: "closed", message: "WebSocket error" }));
      },
      close: () => {
        try {
          socket.close(1000);
        } catch {
          // already closed
        }
      },
    };
  }

  /** MQTT over TCP (`connect()`, cloudflare:sockets): the packets are the byte stream itself. */
  private openTcp(): { write: (bytes: Uint8Array) => void; start: (s: MqttSession) => void; close: () => void } {
    const [hostname, port] = this.env.MQTT_TCP.split(":");
    const socket = connect({ hostname: hostname as string, port: Number(port) }, { secureTransport: "off", allowHalfOpen: false });
    const writer = socket.writable.getWriter();
    let failed = false;
    return {
      write: (bytes) => {
        writer.write(bytes).catch(() => {
          failed = true;
        });
        if (failed) throw new Error("TCP socket closed");
      },
      start: (session) => {
        void socket.opened.then(async () => {
          session.start();
          const reader = socket.readable.getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            session.receive(value);
          }
          session.end({ kind: "closed", message: "TCP socket closed" });
        }).catch((e: unknown) => session.end({ kind: "closed", message: String(e) }));
      },
      close: () => void socket.close().catch(() => undefined),
    };
  }

  private deliver(topic: string, payload: Uint8Array): void {
    if (!topic.startsWith(this.down)) return;
    const cid = topic.slice(this.down.length);
    if (shardOf(cid, shards(this.env)) !== this.shard) return;
    try {
      this.sockets.get(cid)?.send(decoder.decode(payload));
    } catch {
      // closing
    }
  }
}

export default {
  async fetch(request: Request, env: ShardEnv): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (!path.startsWith(PREFIX)) return new Response("shard floor", { status: 200 });
    const cid = decodeURIComponent(path.slice(PREFIX.length));
    const shard = shardOf(cid, shards(env));
    const headers = new Headers(request.headers);
    headers.set("X-Shard", String(shard));
    return env.SHARD.get(env.SHARD.idFromName(`shard-${shard}`)).fetch(new Request(request, { headers }));
  },
} satisfies ExportedHandler<ShardEnv>;
