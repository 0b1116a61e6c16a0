/**
 * ChargePoint Durable Object: one per charge point id. Holds the charge point's WebSocket with the Hibernation
 * API and keeps no outbound connection of its own (an object with an open outbound socket never hibernates,
 * cloudflare/workerd#4864): it publishes through its BrokerLink shard by RPC and receives downstream messages
 * from it by RPC. All behaviour lives in session/; this class restores state, delegates and logs.
 */
import { DurableObject } from "cloudflare:workers";
import type { GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { protocolBySubprotocol, OCPP16 } from "../ocpp/protocol";
import { ChargePointRelay, newConnectionState, type Connection, type PendingCalls, type RelayPorts } from "../session/relay";
import { readAttachment, writeAttachment, type SocketAttachment } from "./attachment";
import { loadGatewayConfig } from "./config-store";
import { CONNECT_HEADER, decodeConnectRequest } from "./connect-request";
import { brokerLinkFor } from "./links";

/** What the object remembers of its current connection (durable storage: survives eviction). */
interface StoredConnection {
  readonly connId: string;
  readonly cid: string;
  readonly protocol: string;
  readonly config: GatewayConfig;
}

const CONNECTION_KEY = "connection";
const PENDING_PREFIX = "pending:";

/** Close codes a peer may report but that must not be sent back (RFC 6455 §7.4.1). */
const RESERVED_CLOSE_CODES = new Set([1005, 1006, 1015]);

/**
 * Writes updated counters back, unless the socket was closed meanwhile (closing it rewrote the attachment with
 * its reason, which must not be lost).
 */
function saveCounters(ws: WebSocket, attachment: SocketAttachment): void {
  const latest = readAttachment(ws);
  if (latest === undefined || latest.closing !== undefined || ws.readyState !== WebSocket.OPEN) return;
  writeAttachment(ws, attachment);
}

export class ChargePoint extends DurableObject<Env> {
  /** Frames and downstream messages are handled one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private stored: StoredConnection | undefined;

  private serialize(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Upgrade requests forwarded by the Worker, which has already checked id, subprotocol and credentials. */
  override async fetch(request: Request): Promise<Response> {
    const connect = decodeConnectRequest(request.headers.get(CONNECT_HEADER));
    if (connect === undefined || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ code: "BAD_REQUEST", message: "not a gateway upgrade request" }, { status: 400 });
    }
    for (const old of this.ctx.getWebSockets()) this.closeSocket(old, 1000, "replaced");

    const { 0: client, 1: server } = new WebSocketPair();
    const connId = crypto.randomUUID();
    this.ctx.acceptWebSocket(server, [connId]);
    const attachment: SocketAttachment = {
      v: 1,
      connId,
      cid: connect.cid,
      protocol: connect.protocol,
      ...(connect.username === undefined ? {} : { username: connect.username }),
      ...(connect.ip === undefined ? {} : { ip: connect.ip }),
      connectedAt: Date.now(),
      ...newConnectionState(),
    };
    writeAttachment(server, attachment);
    this.stored = { connId, cid: connect.cid, protocol: connect.protocol, config: connect.config };
    await this.ctx.storage.put(CONNECTION_KEY, this.stored);
    log("info", "client_connected", { cid: connect.cid, connId, protocol: connect.protocol, ip: connect.ip });

    // Normally the link is already subscribed and this is one RPC; on a link's first connection it waits
    // (bounded) so that the charge point is not reported connected before commands can reach it.
    const { shard, stub } = brokerLinkFor(this.env, connect.cid);
    try {
      const linkUp = await stub.attach(shard, connect.cid);
      if (!linkUp) log("warn", "link_not_ready_at_connect", { cid: connect.cid, shard });
    } catch (e) {
      log("error", "link_attach_failed", { cid: connect.cid, error: errorMessage(e) });
    }
    const headers = connect.echoProtocol ? { "Sec-WebSocket-Protocol": connect.protocol } : undefined;
    return new Response(null, { status: 101, webSocket: client, ...(headers ? { headers } : {}) });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = readAttachment(ws);
    if (attachment === undefined) {
      log("error", "socket_without_attachment", {});
      return this.closeSocket(ws, 1011, "internal error");
    }
    if (attachment.closing !== undefined) return;
    if (typeof message !== "string") {
      log("warn", "binary_frame", { cid: attachment.cid });
      return this.closeSocket(ws, 1003, "binary frames are not supported");
    }
    try {
      await this.serialize(async () => {
        const connection = await this.connection(attachment.cid);
        const relay = new ChargePointRelay(connection, this.ports(attachment.cid), attachment, this.pendingCalls());
        await relay.fromChargePoint(message);
      });
    } catch (e) {
      log("error", "upstream_handler_failed", { cid: attachment.cid, error: errorMessage(e) });
    } finally {
      saveCounters(ws, attachment);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const attachment = readAttachment(ws);
    try {
      ws.close(RESERVED_CLOSE_CODES.has(code) ? 1000 : code, reason);
    } catch {
      // Already closed by us; nothing to reciprocate.
    }
    if (attachment === undefined) return;
    log("info", "client_disconnected", { cid: attachment.cid, connId: attachment.connId, code, reason });
    if (this.hasOpenConnection()) return;
    const { shard, stub } = brokerLinkFor(this.env, attachment.cid);
    try {
      await stub.detach(shard, attachment.cid);
    } catch (e) {
      log("error", "link_detach_failed", { cid: attachment.cid, error: errorMessage(e) });
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "socket_error", { cid: readAttachment(ws)?.cid, error: errorMessage(error) });
  }

  /** RPC from the BrokerLink: a message the CSMS published on this charge point's downstream topic. */
  async deliver(cid: string, envelope: string): Promise<void> {
    await this.serialize(async () => {
      const current = this.currentSocket();
      const attachment = current === undefined ? undefined : readAttachment(current);
      const state = attachment ?? newConnectionState();
      const relay = new ChargePointRelay(await this.connection(cid), this.ports(cid), state, this.pendingCalls());
      try {
        await relay.fromCsms(envelope);
      } finally {
        if (current !== undefined && attachment !== undefined) saveCounters(current, attachment);
      }
    });
  }

  private async connection(cid: string): Promise<Connection> {
    this.stored ??= await this.ctx.storage.get<StoredConnection>(CONNECTION_KEY);
    const stored = this.stored;
    if (stored !== undefined && stored.cid === cid) {
      return { cid, protocol: protocolBySubprotocol(stored.protocol) ?? OCPP16, config: stored.config };
    }
    // Never connected: answer with the current configuration.
    return { cid, protocol: OCPP16, config: await loadGatewayConfig(this.env) };
  }

  /** The open socket of the current connection, if any (older ones may still be closing). */
  private currentSocket(): WebSocket | undefined {
    for (const ws of this.ctx.getWebSockets()) {
      const a = readAttachment(ws);
      if (a !== undefined && a.closing === undefined && ws.readyState === WebSocket.OPEN) return ws;
    }
    return undefined;
  }

  private hasOpenConnection(): boolean {
    return this.currentSocket() !== undefined;
  }

  private closeSocket(ws: WebSocket, code: number, reason: string): void {
    const attachment = readAttachment(ws);
    if (attachment !== undefined) {
      attachment.closing = reason;
      writeAttachment(ws, attachment);
    }
    try {
      ws.close(code, reason);
    } catch (e) {
      log("warn", "close_failed", { cid: attachment?.cid, error: errorMessage(e) });
    }
  }

  private ports(cid: string): RelayPorts {
    return {
      sendToChargePoint: (text) => {
        const ws = this.currentSocket();
        if (ws === undefined) return false;
        try {
          ws.send(text);
          return true;
        } catch {
          return false;
        }
      },
      publish: (topic, payload) => {
        const { shard, stub } = brokerLinkFor(this.env, cid);
        return stub.publish(shard, topic, payload);
      },
      closeChargePoint: (code, reason) => {
        const ws = this.currentSocket();
        if (ws !== undefined) this.closeSocket(ws, code, reason);
      },
      now: () => Date.now(),
    };
  }

  private pendingCalls(): PendingCalls {
    const storage = this.ctx.storage;
    return {
      get: (id) => storage.get<string>(PENDING_PREFIX + id),
      put: (id, action) => storage.put(PENDING_PREFIX + id, action),
      delete: async (id) => {
        await storage.delete(PENDING_PREFIX + id);
      },
    };
  }
}
