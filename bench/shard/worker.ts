/**
 * The benchmark's shard floor: the least a "gateway shard" can do. One Durable Object accepts many charge points'
 * sockets with the Hibernation API and holds its own MQTT-over-WebSocket connection (the gateway's MqttSession,
 * mqtt-packet), relaying text frames as they are in both directions: no RPC, no parsing, validation, translation,
 * session rules or storage per message. Charge point id → shard by the gateway's FNV-1a hash mod SHARDS.
 * Upstream: `shard/cp/<cid>` (raw OCPP-J frame, QoS 1); downstream: `shard/cs/+`, kept when the id hashes here.
 */
import { DurableObject } from "cloudflare:workers";
import { MqttSession } from "../../src/mqtt/session";
import { shardOf } from "../../src/mqtt/shard";

interface ShardEnv {
  readonly SHARD: DurableObjectNamespace<Shard>;
  readonly MQTT_URL: string;
  readonly MQTT_CLIENT_ID_PREFIX: string;
  readonly SHARDS: string;
}

const PREFIX = "/ocpp/";
const UP = "shard/cp/";
const DOWN = "shard/cs/";
const decoder = new TextDecoder();

function shards(env: ShardEnv): number {
  const n = Number(env.SHARDS);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

export class Shard extends DurableObject<ShardEnv> {
  private shard = -1;
  /** Open sockets by charge point id; rebuilt from the runtime's list if the object was restarted. */
  private readonly sockets = new Map<string, WebSocket>();
  private session: MqttSession | undefined;
  private ready: Promise<MqttSession> | undefined;

  constructor(ctx: DurableObjectState, env: ShardEnv) {
    super(ctx, env);
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
    this.ctx.acceptWebSocket(server, [cid]);
    this.sockets.get(cid)?.close(1000, "replaced");
    this.sockets.set(cid, server);
    const offered = request.headers.get("Sec-WebSocket-Protocol")?.split(",")[0]?.trim();
    return new Response(null, { status: 101, webSocket: client, ...(offered ? { headers: { "Sec-WebSocket-Protocol": offered } } : {}) });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const cid = this.ctx.getTags(ws)[0] as string;
    const text = typeof message === "string" ? message : decoder.decode(message);
    try {
      await (await this.link()).publish(UP + cid, text);
    } catch {
      // The floor has no outbox: a publish the broker did not confirm is lost (the load generator counts it).
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    const cid = this.ctx.getTags(ws)[0];
    if (cid !== undefined && this.sockets.get(cid) === ws) this.sockets.delete(cid);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // already closed
    }
  }

  /** The shard's own MQTT connection, opened on first use (the floor does not reconnect: a drop fails the run). */
  private link(): Promise<MqttSession> {
    this.ready ??= new Promise<MqttSession>((resolve, reject) => {
      const socket = new WebSocket(this.env.MQTT_URL, "mqtt");
      socket.binaryType = "arraybuffer";
      const session = new MqttSession(
        { send: (bytes) => socket.send(bytes) },
        {
          clientId: `${this.env.MQTT_CLIENT_ID_PREFIX}-${this.shard}`,
          keepaliveSeconds: 30,
          cleanSession: false,
          subscriptions: [`${DOWN}+`],
          ackTimeoutMs: 10_000,
        },
        {
          onReady: () => resolve(session),
          onMessage: async (topic, payload) => this.deliver(topic, payload),
          onEnd: (end) => {
            this.ready = undefined;
            this.session = undefined;
            reject(new Error(end.message));
            try {
              socket.close(1000);
            } catch {
              // already closed
            }
          },
        },
      );
      this.session = session;
      socket.addEventListener("open", () => session.start());
      socket.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer) session.receive(new Uint8Array(event.data));
      });
      socket.addEventListener("close", () => session.end({ kind: "closed", message: "WebSocket closed" }));
      socket.addEventListener("error", () => session.end({ kind: "closed", message: "WebSocket error" }));
    });
    return this.ready;
  }

  private deliver(topic: string, payload: Uint8Array): void {
    if (!topic.startsWith(DOWN)) return;
    const cid = topic.slice(DOWN.length);
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
