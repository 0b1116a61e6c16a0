/**
 * ChargePoint Durable Object: one per charge point id. Holds the charge point's WebSocket with the Hibernation
 * API and keeps no outbound connection of its own (an object with an open outbound socket never hibernates,
 * cloudflare/workerd#4864): it publishes through its BrokerLink shard by RPC (through its outbox when the broker
 * cannot confirm) and receives downstream messages from it by RPC. Timers (heartbeat, idle timeout, call timeout,
 * session expiry, outbox retry) are one storage alarm, so they run while the object hibernates.
 * Behaviour lives in session/; this class restores state, delegates and logs.
 */
import { DurableObject } from "cloudflare:workers";
import { durationMs, type GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { renderTopic } from "../mqtt/topics";
import { OCPP16, protocolBySubprotocol } from "../ocpp/protocol";
import { checkKeepalive, connectedEvent, DisconnectReason, disconnectedEvent, reasonForRemoteClose } from "../session/lifecycle";
import { Outbox } from "../session/outbox";
import { ChargePointRelay, newConnectionState, type Connection, type ConnectionState, type RelayPorts } from "../session/relay";
import { clientInfo, readAttachment, saveState, writeAttachment, type SocketAttachment } from "./attachment";
import { SqlCallStore } from "./call-store";
import { loadGatewayConfig } from "./config-store";
import { CONNECT_HEADER, decodeConnectRequest } from "./connect-request";
import { Neighbours } from "./neighbours";
import { SqlOutboxStore } from "./outbox-store";

/** What the object remembers of its current connection (durable storage: survives eviction). */
interface StoredConnection {
  readonly connId: string;
  readonly cid: string;
  readonly protocol: string;
  readonly config: GatewayConfig;
}

/** Live figures of a charge point, for the management API. */
export interface ClientStats {
  readonly connected: boolean;
  readonly conn_id?: string;
  readonly keepalive: number;
  readonly mqueue_len: number;
  readonly inflight_cnt: number;
  readonly outbox_len: number;
  readonly recv_msg: number;
  readonly send_msg: number;
  readonly malformed: number;
  readonly invalid: number;
  readonly dropped: number;
}

const CONNECTION_KEY = "connection";
/** While the charge point is away: when its queued calls expire. */
const SESSION_EXPIRY_KEY = "session:expires-at";
/** Close codes a peer may report but that must not be sent back (RFC 6455 §7.4.1). */
const RESERVED_CLOSE_CODES = new Set([1005, 1006, 1015]);
const encoder = new TextEncoder();

/** Whether a text frame is longer than `max` bytes of UTF-8 (1 to 3 bytes per UTF-16 unit: count only when in doubt). */
function exceeds(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return encoder.encode(text).byteLength > max;
}

export class ChargePoint extends DurableObject<Env> {
  /** Frames, downstream messages, alarms and connects are handled one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private stored: StoredConnection | undefined;
  private readonly calls: SqlCallStore;
  private readonly outboxStore: SqlOutboxStore;
  /** Cached time of the scheduled alarm (null: none), to avoid a storage write per frame. */
  private alarmAt: number | null | undefined;
  /** This object's stubs for its link and the registry (kept: they are used for every message). */
  private neighboursFor: Neighbours | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.calls = new SqlCallStore(ctx.storage);
    this.outboxStore = new SqlOutboxStore(ctx.storage);
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Upgrade requests forwarded by the Worker, which has already checked id, subprotocol and credentials. */
  override async fetch(request: Request): Promise<Response> {
    const connect = decodeConnectRequest(request.headers.get(CONNECT_HEADER));
    if (connect === undefined || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ code: "BAD_REQUEST", message: "not a gateway upgrade request" }, { status: 400 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    await this.serialize(async () => {
      this.stored = { connId: crypto.randomUUID(), cid: connect.cid, protocol: connect.protocol, config: connect.config };
      for (const old of this.ctx.getWebSockets()) await this.endConnection(old, 1000, DisconnectReason.Replaced, false);

      const now = Date.now();
      this.ctx.acceptWebSocket(server, [this.stored.connId]);
      const attachment: SocketAttachment = {
        v: 1,
        connId: this.stored.connId,
        cid: connect.cid,
        protocol: connect.protocol,
        ...(connect.username === undefined ? {} : { username: connect.username }),
        ...(connect.ip === undefined ? {} : { ip: connect.ip }),
        connectedAt: now,
        ...newConnectionState(now, durationMs(connect.config.default_heartbeat_interval) / 1000),
      };
      writeAttachment(server, attachment);
      await this.ctx.storage.put(CONNECTION_KEY, this.stored);
      if ((await this.ctx.storage.get(SESSION_EXPIRY_KEY)) !== undefined) await this.ctx.storage.delete(SESSION_EXPIRY_KEY);
      log("info", "client_connected", { cid: connect.cid, connId: this.stored.connId, protocol: connect.protocol, ip: connect.ip });

      const neighbours = this.neighbours(connect.cid);
      await neighbours.attach();
      await neighbours.register(attachment);
      const relay = this.relay(await this.connection(connect.cid), attachment);
      // A call that went out on an earlier connection can no longer be answered.
      await relay.abandonInflight();
      await this.publishEvent(connect.cid, connectedEvent(clientInfo(attachment)));
      await relay.resume();
      saveState(server, attachment);
      await this.scheduleAlarm();
    });
    const headers = connect.echoProtocol ? { "Sec-WebSocket-Protocol": connect.protocol } : undefined;
    return new Response(null, { status: 101, webSocket: client, ...(headers ? { headers } : {}) });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Taken before waiting for earlier frames: the rate limit judges when a frame arrived, not when its turn came.
    const arrivedAt = Date.now();
    await this.serialize(async () => {
      // Read inside the serialized task: frames that arrive together must each see the previous one's state.
      const attachment = readAttachment(ws);
      if (attachment === undefined) {
        log("error", "socket_without_attachment", {});
        return this.closeQuietly(ws, 1011, "internal error");
      }
      if (attachment.closing !== undefined) return;
      if (typeof message !== "string") {
        log("warn", "binary_frame", { cid: attachment.cid });
        return this.endConnection(ws, 1003, DisconnectReason.UnexpectedFrame, true, "binary frames are not supported");
      }
      const connection = await this.connection(attachment.cid);
      if (exceeds(message, connection.config.max_frame_size)) {
        log("warn", "frame_too_large", { cid: attachment.cid, length: message.length });
        return this.endConnection(ws, 1009, DisconnectReason.FrameTooLarge, true, `frames are limited to ${connection.config.max_frame_size} bytes`);
      }
      const relay = this.relay(connection, attachment);
      try {
        await relay.fromChargePoint(message, arrivedAt);
      } finally {
        saveState(ws, attachment);
      }
      await this.scheduleAlarm();
    }).catch((e: unknown) => log("error", "upstream_handler_failed", { error: errorMessage(e) }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const attachment = readAttachment(ws);
    this.closeQuietly(ws, RESERVED_CLOSE_CODES.has(code) ? 1000 : code, reason);
    if (attachment === undefined || attachment.closing !== undefined) return;
    await this.serialize(async () => {
      log("info", "client_disconnected", { cid: attachment.cid, connId: attachment.connId, code, reason });
      await this.afterDisconnect(attachment, reasonForRemoteClose(code));
    }).catch((e: unknown) => log("error", "close_handler_failed", { cid: attachment.cid, error: errorMessage(e) }));
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "socket_error", { cid: readAttachment(ws)?.cid, error: errorMessage(error) });
  }

  /** RPC from the BrokerLink: a message the CSMS published on this charge point's downstream topic. */
  async deliver(cid: string, envelope: string): Promise<void> {
    await this.serialize(async () => {
      const current = this.currentSocket();
      const attachment = current === undefined ? undefined : readAttachment(current);
      const relay = this.relay(await this.connection(cid), attachment ?? newConnectionState(Date.now()));
      try {
        await relay.fromCsms(envelope);
      } finally {
        if (current !== undefined && attachment !== undefined) saveState(current, attachment);
      }
      await this.scheduleAlarm();
    });
  }

  /** RPC for the management API: closes the connection (1000, `kicked`). False when none is open. */
  async kick(): Promise<boolean> {
    return this.serialize(async () => {
      const ws = this.currentSocket();
      if (ws === undefined) return false;
      await this.endConnection(ws, 1000, DisconnectReason.Kicked, true);
      await this.scheduleAlarm();
      return true;
    });
  }

  /** RPC for the management API: the current connection's live figures. */
  async clientStats(): Promise<ClientStats> {
    const a = this.currentAttachment();
    return {
      connected: a !== undefined,
      ...(a === undefined ? {} : { conn_id: a.connId }),
      keepalive: a?.heartbeatInterval ?? 0,
      mqueue_len: await this.calls.queueLength(),
      inflight_cnt: (await this.calls.getInflight()) === undefined ? 0 : 1,
      outbox_len: await this.outboxStore.length(),
      recv_msg: a?.recv ?? 0,
      send_msg: a?.sent ?? 0,
      malformed: a?.malformed ?? 0,
      invalid: a?.invalid ?? 0,
      dropped: a?.dropped ?? 0,
    };
  }

  /** Heartbeat check, idle timeout, call timeout, session expiry and outbox retry. */
  override async alarm(): Promise<void> {
    await this.serialize(async () => {
      this.alarmAt = null;
      const now = Date.now();
      const stored = await this.loadStored();
      if (stored === undefined) return;
      const ws = this.currentSocket();
      const attachment = ws === undefined ? undefined : readAttachment(ws);
      if (ws !== undefined && attachment !== undefined) {
        const verdict = checkKeepalive(attachment, this.keepalivePolicy(stored.config), now);
        if (verdict.close !== undefined) {
          log("info", "closing_connection", { cid: stored.cid, reason: verdict.close });
          await this.endConnection(ws, 1000, verdict.close, true);
        }
      }
      const flushed = await this.outbox(stored.cid, stored.config).retryIfDue();
      if (flushed > 0) log("info", "outbox_flushed", { cid: stored.cid, messages: flushed });
      const relay = this.relay(await this.connection(stored.cid), attachment ?? newConnectionState(now));
      await relay.expireCalls();
      if (this.currentSocket() === undefined) {
        const expiresAt = await this.ctx.storage.get<number>(SESSION_EXPIRY_KEY);
        if (expiresAt !== undefined && now >= expiresAt) {
          const dropped = await relay.expireSession();
          await this.ctx.storage.delete(SESSION_EXPIRY_KEY);
          if (dropped.length > 0) log("info", "session_expired", { cid: stored.cid, dropped: dropped.length });
        }
      }
      await this.scheduleAlarm();
    });
  }

  private keepalivePolicy(config: GatewayConfig) {
    return { idleTimeoutMs: durationMs(config.idle_timeout), backoff: config.heartbeat_checking_times_backoff };
  }

  /** Arms the alarm for the earliest deadline, writing to storage only when it must move earlier. */
  private async scheduleAlarm(): Promise<void> {
    const stored = await this.loadStored();
    if (stored === undefined) return;
    const deadlines: number[] = [];
    const attachment = this.currentAttachment();
    if (attachment !== undefined) {
      const next = checkKeepalive(attachment, this.keepalivePolicy(stored.config), Date.now());
      deadlines.push(next.close !== undefined ? Date.now() : (next.nextCheck ?? Number.POSITIVE_INFINITY));
    } else {
      deadlines.push((await this.ctx.storage.get<number>(SESSION_EXPIRY_KEY)) ?? Number.POSITIVE_INFINITY);
    }
    deadlines.push((await this.calls.getInflight())?.deadline ?? Number.POSITIVE_INFINITY);
    deadlines.push((await this.outboxStore.retry())?.at ?? Number.POSITIVE_INFINITY);
    const wanted = Math.min(...deadlines);
    if (wanted === Number.POSITIVE_INFINITY) return;
    this.alarmAt ??= await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || wanted < this.alarmAt) {
      await this.ctx.storage.setAlarm(wanted);
      this.alarmAt = wanted;
    }
  }

  private closeQuietly(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }

  /**
   * Closes a socket from the gateway's side and reports it: the disconnected event is published here, because
   * the runtime may not call webSocketClose for a close we initiated.
   */
  private async endConnection(ws: WebSocket, code: number, reason: DisconnectReason, sessionEnds: boolean, text?: string): Promise<void> {
    const attachment = readAttachment(ws);
    // A socket the charge point already closed was reported by webSocketClose.
    if (attachment === undefined || attachment.closing !== undefined || ws.readyState !== WebSocket.OPEN) return;
    attachment.closing = reason;
    writeAttachment(ws, attachment);
    this.closeQuietly(ws, code, text ?? reason);
    if (sessionEnds) await this.afterDisconnect(attachment, reason);
    else await this.publishEvent(attachment.cid, disconnectedEvent(clientInfo(attachment), reason, Date.now()));
  }

  /** The charge point's connection ended: event, outstanding call, session expiry, link, registry. */
  private async afterDisconnect(attachment: SocketAttachment, reason: string): Promise<void> {
    const now = Date.now();
    await this.publishEvent(attachment.cid, disconnectedEvent(clientInfo(attachment), reason, now));
    if (this.currentSocket() !== undefined) return;
    const connection = await this.connection(attachment.cid);
    await this.relay(connection, attachment).abandonInflight();
    await this.ctx.storage.put(SESSION_EXPIRY_KEY, now + durationMs(connection.config.dnstream.session_expiry_interval));
    await this.scheduleAlarm();
    const neighbours = this.neighbours(attachment.cid);
    await neighbours.unregister(attachment);
    await neighbours.detach();
  }

  private async publishEvent(cid: string, event: string): Promise<void> {
    const { config } = await this.connection(cid);
    const topic = renderTopic(config.mountpoint, config.events_topic, { cid });
    if ((await this.outbox(cid, config).publish(topic, event, true)) === "refused") {
      log("error", "event_dropped", { cid, topic, reason: "outbox full or off and the broker unavailable" });
    }
  }

  private async loadStored(): Promise<StoredConnection | undefined> {
    this.stored ??= await this.ctx.storage.get<StoredConnection>(CONNECTION_KEY);
    return this.stored;
  }

  private async connection(cid: string): Promise<Connection> {
    const stored = await this.loadStored();
    if (stored !== undefined && stored.cid === cid) {
      return { cid, protocol: protocolBySubprotocol(stored.protocol) ?? OCPP16, config: stored.config };
    }
    // Never connected: answer with the current configuration.
    return { cid, protocol: OCPP16, config: await loadGatewayConfig(this.env) };
  }

  private neighbours(cid: string): Neighbours {
    if (this.neighboursFor?.cid !== cid) this.neighboursFor = new Neighbours(this.env, cid);
    return this.neighboursFor;
  }

  private outbox(cid: string, config: GatewayConfig): Outbox {
    const policy = { maxLength: config.upstream.outbox_max_len, endingsReserve: config.dnstream.max_mqueue_len + 1 };
    return new Outbox(this.outboxStore, this.neighbours(cid).upstream(), policy, Date.now);
  }

  private relay(connection: Connection, state: ConnectionState): ChargePointRelay {
    return new ChargePointRelay(connection, this.ports(connection), state, this.calls);
  }

  /** The open socket of the current connection, if any (older ones may still be closing). */
  private currentSocket(): WebSocket | undefined {
    for (const ws of this.ctx.getWebSockets()) {
      const a = readAttachment(ws);
      if (a !== undefined && a.closing === undefined && ws.readyState === WebSocket.OPEN) return ws;
    }
    return undefined;
  }

  private currentAttachment(): SocketAttachment | undefined {
    const ws = this.currentSocket();
    return ws === undefined ? undefined : readAttachment(ws);
  }

  private ports(connection: Connection): RelayPorts {
    const outbox = this.outbox(connection.cid, connection.config);
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
      publish: (topic, payload, kind) => outbox.publish(topic, payload, false, kind),
      closeChargePoint: async (code, reason, text) => {
        const ws = this.currentSocket();
        if (ws !== undefined) await this.endConnection(ws, code, reason, true, text);
      },
      isConnected: () => this.currentSocket() !== undefined,
      now: () => Date.now(),
    };
  }
}
