/**
 * The benchmark's baseline: the floor the gateway's design can reach. Same runtime, same BrokerLink objects and
 * broker, but the charge point's object relays text frames as they are — no parsing, no validation, no
 * translation, no session rules, no storage. The gateway is measured against it in the same run.
 */
import { DurableObject } from "cloudflare:workers";
import { brokerLinkFor, type ShardLink } from "../../src/objects/links";

export { BrokerLink } from "../../src/objects/broker-link";

const PREFIX = "/ocpp/";

export class ChargePoint extends DurableObject<Env> {
  /** This object's stub for its link, made once (as the gateway does). */
  private link: ShardLink | undefined;

  private linkFor(cid: string) {
    this.link ??= brokerLinkFor(this.env, cid);
    return this.link;
  }

  override async fetch(request: Request): Promise<Response> {
    const cid = decodeURIComponent(new URL(request.url).pathname.slice(PREFIX.length));
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [cid]);
    const { shard, stub } = this.linkFor(cid);
    await stub.attach(shard, cid);
    // The floor relays whatever version the load speaks: it echoes the first subprotocol offered.
    const offered = request.headers.get("Sec-WebSocket-Protocol")?.split(",")[0]?.trim();
    return new Response(null, { status: 101, webSocket: client, ...(offered ? { headers: { "Sec-WebSocket-Protocol": offered } } : {}) });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const cid = this.ctx.getTags(ws)[0] as string;
    const { shard, stub } = this.linkFor(cid);
    await stub.publish(shard, `base/cp/${cid}`, typeof message === "string" ? message : new TextDecoder().decode(message));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // already closed
    }
  }

  /** From the BrokerLink: the CSMS's message, sent on as it is. */
  async deliver(_cid: string, text: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) ws.send(text);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (!path.startsWith(PREFIX)) return new Response("baseline relay", { status: 200 });
    const cid = decodeURIComponent(path.slice(PREFIX.length));
    return env.CHARGE_POINT.get(env.CHARGE_POINT.idFromName(cid)).fetch(request);
  },
} satisfies ExportedHandler<Env>;
