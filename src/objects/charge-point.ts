/**
 * ChargePoint Durable Object: one per charge point id. Holds the charge point's WebSocket with the Hibernation
 * API and keeps no outbound connection of its own (an object with an open outbound socket never hibernates,
 * cloudflare/workerd#4864): it publishes through its BrokerLink shard by RPC (through its outbox when the broker
 * cannot confirm) and receives downstream messages from it by RPC. Timers (heartbeat, idle timeout, call timeout,
 * session expiry, outbox retry) are one storage alarm, so they run while the object hibernates.
 * Behaviour lives in session/; this class restores state, delegates and logs.
 */
import { DurableObject } from "cloudflare:workers";
import type { CertificateIdentity } from "../auth/client-certificate";
import { durationMs, resolveConfig, type GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { gatewayErrorEnvelope } from "../mqtt/envelope";
import { renderTopic } from "../mqtt/topics";
import { protocolBySubprotocol } from "../ocpp/protocol";
import { checkKeepalive, connectedEvent, DisconnectReason, disconnectedEvent, frameArrived, reasonForRemoteClose } from "../session/lifecycle";
import { Outbox } from "../session/outbox";
import { newConnectionState, type Connection, type ConnectionState, type SessionPorts } from "../session/connection";
import { ChargePointSession } from "../session/session";
import { notConnectedError } from "../session/unconnected";
import { GatewayAnalytics } from "./analytics";
import { clientInfo, readAttachment, saveState, writeAttachment, type SocketAttachment } from "./attachment";
import { SqlCallStore } from "./call-store";
import { loadGatewayConfig } from "./config-store";
import { CONNECT_HEADER, decodeConnectRequest } from "./connect-request";
import { Neighbours } from "./neighbours";
import { SqlOutboxStore } from "./outbox-store";
import { TRACE_HEADER, TraceWatchers } from "./trace";

/** What the object remembers of its current connection (durable storage: survives eviction and restarts). */
interface StoredConnection {
  readonly connId: string;
  readonly cid: string;
  readonly protocol: string;
  readonly config: GatewayConfig;
  readonly connectedAt?: number;
  readonly username?: string;
  readonly ip?: string;
  /** The client certificate it authenticated with (security profile 3). */
  readonly certificate?: CertificateIdentity;
  /** Set once the connection's end was handled; absent while it is (or was, before a restart) open. */
  readonly closedAt?: number;
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
  readonly call_errors: number;
}

const CONNECTION_KEY = "connection";
/** For an object whose charge point never connected: the id whose outbox holds a report (see retryUnconnected). */
const UNCONNECTED_CID_KEY = "unconnected:cid";
/** While the charge point is away: when its queued calls expire. */
const SESSION_EXPIRY_KEY = "session:expires-at";
/**
 * While connected with the heartbeat check off, the alarm still comes this often, so that a connection lost in a
 * restart (no close event is delivered for it) is noticed and reported within this bound.
 */
const PRESENCE_CHECK_MS = 10 * 60_000;
/** No alarm further away than this (`setAlarm` refuses dates after 2189; nothing here needs more). */
const MAX_ALARM_DELAY_MS = 366 * 24 * 3600_000;
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
  /** Once per instance: a connection storage says is open but whose socket did not survive a restart is ended. */
  private lostChecked = false;
  /** The stored connection as the session sees it, built once per stored record. */
  private conn: Connection | undefined;
  /** The current connection's session, built once per connection and instance (its state is the attachment). */
  private cachedSession: { readonly conn: Connection; readonly state: ConnectionState; readonly session: ChargePointSession } | undefined;

  /** Operators watching this charge point's traffic (trace.ts); their sockets are never the charge point's. */
  private readonly trace: TraceWatchers;
  /** Analytics Engine points at a connection's end and from its alarm, never per message (analytics.ts). */
  private readonly analytics: GatewayAnalytics;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.calls = new SqlCallStore(ctx.storage);
    this.outboxStore = new SqlOutboxStore(ctx.storage);
    this.trace = new TraceWatchers(ctx);
    this.analytics = GatewayAnalytics.fromEnv(env);
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Upgrade requests forwarded by the Worker, which has already checked id, subprotocol and credentials: a charge
   * point's connection, or (no connect header; the Worker sets that header on every charge point upgrade, so a
   * charge point cannot ask for this) an operator's trace watcher.
   */
  override async fetch(request: Request): Promise<Response> {
    const connect = decodeConnectRequest(request.headers.get(CONNECT_HEADER));
    const traceCid = request.headers.get(TRACE_HEADER);
    if (connect === undefined && traceCid !== null && request.headers.get("Upgrade")?.toLowerCase() === "websocket") {
      const stored = await this.loadStored().catch(() => undefined);
      const open = this.currentSocket() !== undefined && stored?.cid === traceCid;
      return this.trace.accept(traceCid, open, open ? stored?.protocol : undefined);
    }
    if (connect === undefined || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ code: "BAD_REQUEST", message: "not a gateway upgrade request" }, { status: 400 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    try {
      await this.serialize(async () => {
        await this.settleLostConnection();
        const previousProtocol = (await this.loadStored())?.protocol;
        const now = Date.now();
        this.stored = {
          connId: crypto.randomUUID(),
          cid: connect.cid,
          protocol: connect.protocol,
          config: connect.config,
          connectedAt: now,
          ...(connect.username === undefined ? {} : { username: connect.username }),
          ...(connect.ip === undefined ? {} : { ip: connect.ip }),
          ...(connect.certificate === undefined ? {} : { certificate: connect.certificate }),
        };
        for (const old of this.trace.chargePointSockets()) await this.endConnection(old, 1000, DisconnectReason.Replaced, false);

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
        await neighbours.register(attachment, connect.certificate);
        const relay = this.session(await this.connection(), attachment);
        // A call that went out on an earlier connection can no longer be answered.
        await relay.abandonInflight();
        // Calls queued for a charge point that now speaks another OCPP version were checked against the other
        // version's schemas: they end (`version_changed`) instead of reaching it.
        if (previousProtocol !== undefined && previousProtocol !== connect.protocol) await relay.dropQueued("version_changed");
        await this.publishEvent(connect.cid, connectedEvent(clientInfo(attachment), connect.certificate));
        await relay.resume();
        saveState(server, attachment);
        await this.scheduleAlarm();
      });
    } catch (e) {
      log("error", "connect_handler_failed", { cid: connect.cid, error: errorMessage(e) });
      this.closeQuietly(server, 1011, "internal error");
      return Response.json({ code: "INTERNAL_ERROR", message: "the connection could not be set up" }, { status: 500 });
    }
    const headers = connect.echoProtocol ? { "Sec-WebSocket-Protocol": connect.protocol } : undefined;
    return new Response(null, { status: 101, webSocket: client, ...(headers ? { headers } : {}) });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Taken before waiting for earlier frames: the rate limit judges when a frame arrived, not when its turn came.
    const arrivedAt = Date.now();
    // A watcher only listens: what it sends goes nowhere (never into the charge point's session).
    if (this.trace.watching && this.trace.isWatcher(ws)) return;
    // Noted before the frame waits its turn: an alarm already queued judges silence by arrival (lifecycle.ts).
    const arrived = readAttachment(ws);
    if (arrived !== undefined && arrived.closing === undefined) frameArrived(arrived, arrivedAt);
    await this.serialize(async () => {
      // Read inside the serialized task: frames that arrive together must each see the previous one's state.
      const attachment = readAttachment(ws);
      if (attachment === undefined) {
        log("error", "socket_without_attachment", {});
        return this.closeQuietly(ws, 1011, "internal error");
      }
      if (attachment.closing !== undefined) return;
      if (this.trace.watching) this.trace.send("in", typeof message === "string" ? message : `<binary frame, ${message.byteLength} bytes>`);
      if (typeof message !== "string") {
        log("warn", "binary_frame", { cid: attachment.cid });
        return this.endConnection(ws, 1003, DisconnectReason.UnexpectedFrame, true, "binary frames are not supported");
      }
      const connection = await this.connection();
      if (exceeds(message, connection.config.max_frame_size)) {
        log("warn", "frame_too_large", { cid: attachment.cid, length: message.length });
        return this.endConnection(ws, 1009, DisconnectReason.FrameTooLarge, true, `frames are limited to ${connection.config.max_frame_size} bytes`);
      }
      const relay = this.session(connection, attachment);
      try {
        await relay.fromChargePoint(message, arrivedAt);
      } finally {
        saveState(ws, attachment);
      }
      await this.scheduleAlarm();
    }).catch((e: unknown) => log("error", "upstream_handler_failed", { error: errorMessage(e) }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    if (this.trace.isWatcher(ws)) return this.trace.closed(ws, RESERVED_CLOSE_CODES.has(code) ? 1000 : code);
    const attachment = readAttachment(ws);
    this.closeQuietly(ws, RESERVED_CLOSE_CODES.has(code) ? 1000 : code, reason);
    if (attachment === undefined || attachment.closing !== undefined) return;
    await this.serialize(async () => {
      log("info", "client_disconnected", { cid: attachment.cid, connId: attachment.connId, code, reason });
      await this.afterDisconnect(attachment, reasonForRemoteClose(code));
    }).catch((e: unknown) => log("error", "close_handler_failed", { cid: attachment.cid, error: errorMessage(e) }));
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    if (this.trace.isWatcher(ws)) return this.trace.closed(ws, 1011);
    log("warn", "socket_error", { cid: readAttachment(ws)?.cid, error: errorMessage(error) });
  }

  /**
   * RPC from the BrokerLink: a message the CSMS published on this charge point's downstream topic. False when it
   * could not be handled (logged here; the link counts it).
   */
  async deliver(cid: string, envelope: string): Promise<boolean> {
    return this.serialize(async () => {
      await this.settleLostConnection();
      if (this.trace.watching) this.trace.send("down", envelope, undefined, this.currentAttachment()?.cpCalls);
      const connection = await this.loadStored() === undefined ? undefined : await this.connection();
      if (connection?.cid !== cid) {
        await this.reportNeverConnected(cid, envelope);
        return true;
      }
      const current = this.currentSocket();
      const attachment = current === undefined ? undefined : readAttachment(current);
      const relay = this.session(connection, attachment ?? newConnectionState(Date.now()));
      try {
        await relay.fromCsms(envelope);
      } finally {
        if (current !== undefined && attachment !== undefined) saveState(current, attachment);
      }
      await this.scheduleAlarm();
      return true;
    }).catch((e: unknown) => {
      log("error", "downstream_handler_failed", { cid, error: errorMessage(e) });
      return false;
    });
  }

  /** RPC for the management API: closes the connection (1000, `kicked`). False when none is open. */
  async kick(): Promise<boolean> {
    return this.serialize(async () => {
      await this.settleLostConnection();
      const ws = this.currentSocket();
      if (ws === undefined) return false;
      await this.endConnection(ws, 1000, DisconnectReason.Kicked, true);
      await this.scheduleAlarm();
      return true;
    }).catch((e: unknown) => {
      log("error", "kick_failed", { error: errorMessage(e) });
      return false;
    });
  }

  /** RPC for the management API: the current connection's live figures. */
  async clientStats(): Promise<ClientStats> {
    await this.serialize(() => this.settleLostConnection()).catch((e: unknown) => log("error", "settle_failed", { error: errorMessage(e) }));
    const a = this.currentAttachment();
    const [queued, inflight, outboxLength] = await Promise.all([
      this.calls.queueLength(),
      this.calls.getInflight(),
      this.outboxStore.length(),
    ]).catch(() => [0, undefined, 0] as const);
    return {
      connected: a !== undefined,
      ...(a === undefined ? {} : { conn_id: a.connId }),
      keepalive: a?.heartbeatInterval ?? 0,
      mqueue_len: queued,
      inflight_cnt: inflight === undefined ? 0 : 1,
      outbox_len: outboxLength,
      recv_msg: a?.recv ?? 0,
      send_msg: a?.sent ?? 0,
      malformed: a?.malformed ?? 0,
      invalid: a?.invalid ?? 0,
      dropped: a?.dropped ?? 0,
      call_errors: a?.callErrors ?? 0,
    };
  }

  /** Heartbeat check, idle timeout, call timeout, session expiry and outbox retry. */
  override async alarm(): Promise<void> {
    await this.serialize(async () => {
      this.alarmAt = null;
      const now = Date.now();
      const stored = await this.loadStored();
      if (stored === undefined) return this.retryUnconnected();
      await this.settleLostConnection();
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
      const relay = this.session(await this.connection(), attachment ?? newConnectionState(now));
      await relay.expireCalls();
      if (this.currentSocket() === undefined) {
        const expiresAt = await this.ctx.storage.get<number>(SESSION_EXPIRY_KEY);
        if (expiresAt !== undefined && now >= expiresAt) {
          const dropped = await relay.expireSession();
          await this.ctx.storage.delete(SESSION_EXPIRY_KEY);
          if (dropped.length > 0) log("info", "session_expired", { cid: stored.cid, dropped: dropped.length });
        }
      }
      await this.analyticsTick(now);
      await this.scheduleAlarm();
    }).catch(async (e: unknown) => {
      // Not thrown out (the runtime would retry a few times, then give up on the timers): try again later.
      log("error", "alarm_failed", { error: errorMessage(e) });
      this.alarmAt = undefined;
      await this.ctx.storage.setAlarm(Date.now() + 30_000).catch(() => undefined);
    });
  }

  /** The connected charge point's `charge_point` point, once per slot: the alarm comes at least every PRESENCE_CHECK_MS. */
  private async analyticsTick(now: number): Promise<void> {
    const ws = this.currentSocket();
    const attachment = ws === undefined ? undefined : readAttachment(ws);
    if (ws === undefined || attachment === undefined || !this.analytics.tickDue(attachment, now)) return;
    const [queue, outbox] = await Promise.all([this.calls.queueLength(), this.outboxStore.length()]);
    this.analytics.chargePointTick(attachment, { outbox, queue }, now);
    saveState(ws, attachment);
  }

  private keepalivePolicy(config: GatewayConfig) {
    return { idleTimeoutMs: durationMs(config.idle_timeout), backoff: config.heartbeat_checking_times_backoff };
  }

  /** Arms the alarm for the earliest deadline, writing to storage only when it must move earlier. */
  private async scheduleAlarm(): Promise<void> {
    const stored = await this.loadStored();
    if (stored === undefined) {
      const retry = await this.outboxStore.retry();
      if (retry !== undefined) await this.ctx.storage.setAlarm(Math.min(retry.at, Date.now() + MAX_ALARM_DELAY_MS));
      return;
    }
    const deadlines: number[] = [];
    const attachment = this.currentAttachment();
    if (attachment !== undefined) {
      const next = checkKeepalive(attachment, this.keepalivePolicy(stored.config), Date.now());
      deadlines.push(next.close !== undefined ? Date.now() : (next.nextCheck ?? Number.POSITIVE_INFINITY), Date.now() + PRESENCE_CHECK_MS);
    } else {
      deadlines.push((await this.ctx.storage.get<number>(SESSION_EXPIRY_KEY)) ?? Number.POSITIVE_INFINITY);
    }
    deadlines.push((await this.calls.getInflight())?.deadline ?? Number.POSITIVE_INFINITY);
    deadlines.push((await this.outboxStore.retry())?.at ?? Number.POSITIVE_INFINITY);
    const earliest = Math.min(...deadlines);
    if (earliest === Number.POSITIVE_INFINITY) return;
    const wanted = Math.min(earliest, Date.now() + MAX_ALARM_DELAY_MS);
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
    if (sessionEnds) return this.afterDisconnect(attachment, reason);
    this.analytics.connectionEnded(attachment, reason, Date.now());
    await this.publishEvent(attachment.cid, disconnectedEvent(clientInfo(attachment), reason, Date.now()));
  }

  /** The charge point's connection ended: event, outstanding call, session expiry, link, registry. */
  private async afterDisconnect(attachment: SocketAttachment, reason: string): Promise<void> {
    const now = Date.now();
    this.analytics.connectionEnded(attachment, reason, now);
    await this.publishEvent(attachment.cid, disconnectedEvent(clientInfo(attachment), reason, now));
    if (this.currentSocket() !== undefined) return;
    const connection = await this.connection();
    await this.session(connection, attachment).abandonInflight();
    await this.ctx.storage.put(SESSION_EXPIRY_KEY, now + durationMs(connection.config.dnstream.session_expiry_interval));
    const stored = await this.loadStored();
    if (stored !== undefined && stored.connId === attachment.connId) {
      this.stored = { ...stored, closedAt: now };
      await this.ctx.storage.put(CONNECTION_KEY, this.stored);
    }
    await this.scheduleAlarm();
    const neighbours = this.neighbours(attachment.cid);
    await neighbours.unregister(attachment);
    await neighbours.detach();
  }

  private async publishEvent(cid: string, event: string): Promise<void> {
    const { config } = await this.connection();
    const topic = renderTopic(config.mountpoint, config.events_topic, { cid });
    if (this.trace.watching) this.trace.send("up", event, topic);
    if ((await this.outbox(cid, config).publish(topic, event, true)) === "refused") {
      log("error", "event_dropped", { cid, topic, reason: "outbox full or off and the broker unavailable" });
    }
  }

  private async loadStored(): Promise<StoredConnection | undefined> {
    if (this.stored !== undefined) return this.stored;
    const stored = await this.ctx.storage.get<StoredConnection>(CONNECTION_KEY);
    if (stored === undefined) return undefined;
    // Written by an earlier version perhaps: checked again (and completed from today's defaults) before use.
    const checked = resolveConfig(stored.config);
    if (checked.ok) {
      this.stored = { ...stored, config: checked.config };
    } else {
      log("warn", "stored_config_invalid", { cid: stored.cid, problems: checked.problems });
      this.stored = { ...stored, config: await loadGatewayConfig(this.env) };
    }
    return this.stored;
  }

  /**
   * A connection that storage says is open but that has no socket any more: the runtime restarted (a deploy, a
   * crash) and dropped it without a close event. It is ended as if the charge point had dropped it: event,
   * outstanding call, session expiry, link and registry. Checked once per instance, since only a restart makes one.
   */
  private async settleLostConnection(): Promise<void> {
    if (this.lostChecked) return;
    this.lostChecked = true;
    const stored = await this.loadStored();
    // A record without connectedAt predates this check and cannot tell an open connection from a closed one.
    if (stored?.connectedAt === undefined || stored.closedAt !== undefined || this.trace.chargePointSockets().length > 0) return;
    const connectedAt = stored.connectedAt;
    log("warn", "connection_lost", { cid: stored.cid, connId: stored.connId });
    const lost: SocketAttachment = {
      v: 1,
      connId: stored.connId,
      cid: stored.cid,
      protocol: stored.protocol,
      ...(stored.username === undefined ? {} : { username: stored.username }),
      ...(stored.ip === undefined ? {} : { ip: stored.ip }),
      connectedAt,
      ...newConnectionState(connectedAt),
    };
    await this.afterDisconnect(lost, DisconnectReason.SockClosed);
  }

  /** The stored connection (the current one, or the last one): id, protocol version and configuration. */
  private async connection(): Promise<Connection> {
    const stored = await this.loadStored();
    if (stored === undefined) throw new Error("no connection is stored");
    if (this.conn?.config !== stored.config || this.conn.cid !== stored.cid) {
      const protocol = protocolBySubprotocol(stored.protocol);
      if (protocol === undefined) throw new Error(`the stored connection speaks an unknown protocol '${stored.protocol}'`);
      this.conn = { cid: stored.cid, protocol, config: stored.config };
    }
    return this.conn;
  }

  /** The session of a connection with the given state; the current connection's is built once and kept. */
  private session(conn: Connection, state: ConnectionState): ChargePointSession {
    const cached = this.cachedSession;
    if (cached?.conn === conn && cached.state === state) return cached.session;
    const session = new ChargePointSession(conn, this.ports(conn), state, this.calls);
    this.cachedSession = { conn, state, session };
    return session;
  }

  /** A CSMS message for a charge point that never connected here: its version is unknown (see unconnected.ts). */
  private async reportNeverConnected(cid: string, envelope: string): Promise<void> {
    const error = notConnectedError(envelope);
    if (error === undefined) {
      log("warn", "bad_envelope", { cid, reason: "envelope for a charge point that never connected, without a UniqueId" });
      return;
    }
    const config = await loadGatewayConfig(this.env);
    const topic = renderTopic(config.mountpoint, config.upstream.error_topic, { cid, ...(error.action === undefined ? {} : { action: error.action }) });
    const errorEnvelope = gatewayErrorEnvelope(error);
    if (this.trace.watching) this.trace.send("up", errorEnvelope, topic);
    const outbox = this.outbox(cid, config);
    const outcome = await outbox.publish(topic, errorEnvelope, false, "ending");
    if (outcome === "refused") log("error", "upstream_unavailable", { cid, what: "gateway_error", uniqueId: error.uniqueId, topic });
    if (outcome === "queued" && (await outbox.length()) > 0) {
      // Nothing else is stored for this id, so the alarm must know whose outbox to retry (removed once empty).
      await this.ctx.storage.put(UNCONNECTED_CID_KEY, cid);
      await this.scheduleAlarm();
    }
  }

  /**
   * The alarm of an object whose charge point never connected: only reports waiting in the outbox (a broker outage
   * when a command for it arrived) are retried; once they are out, nothing is left in storage.
   */
  private async retryUnconnected(): Promise<void> {
    const cid = await this.ctx.storage.get<string>(UNCONNECTED_CID_KEY);
    if (cid === undefined) return;
    const outbox = this.outbox(cid, await loadGatewayConfig(this.env));
    await outbox.retryIfDue();
    if ((await outbox.length()) === 0) await this.ctx.storage.delete(UNCONNECTED_CID_KEY);
    else await this.scheduleAlarm();
  }

  private neighbours(cid: string): Neighbours {
    if (this.neighboursFor?.cid !== cid) this.neighboursFor = new Neighbours(this.env, cid);
    return this.neighboursFor;
  }

  private outbox(cid: string, config: GatewayConfig): Outbox {
    const policy = { maxLength: config.upstream.outbox_max_len, endingsReserve: config.dnstream.max_mqueue_len + 1 };
    return new Outbox(this.outboxStore, this.neighbours(cid).upstream(), policy, Date.now);
  }

  /** The open socket of the current connection, if any (older ones may still be closing; watchers never are). */
  private currentSocket(): WebSocket | undefined {
    for (const ws of this.trace.chargePointSockets()) {
      const a = readAttachment(ws);
      if (a !== undefined && a.closing === undefined && ws.readyState === WebSocket.OPEN) return ws;
    }
    return undefined;
  }

  private currentAttachment(): SocketAttachment | undefined {
    const ws = this.currentSocket();
    return ws === undefined ? undefined : readAttachment(ws);
  }

  private ports(connection: Connection): SessionPorts {
    const outbox = this.outbox(connection.cid, connection.config);
    const ports: SessionPorts = {
      sendToChargePoint: (text, notBefore) => {
        const ws = this.currentSocket();
        if (ws === undefined) return false;
        const wait = (notBefore ?? 0) - Date.now();
        if (wait > 0) {
          // A refusal paced by the rate limit, for this connection only; the pending timer keeps the object from
          // hibernating meanwhile (Cloudflare, "Lifecycle of a Durable Object").
          setTimeout(() => {
            try {
              if (this.currentSocket() === ws) ports.sendToChargePoint(text);
            } catch (e) {
              log("error", "paced_send_failed", { error: errorMessage(e) });
            }
          }, wait);
          return true;
        }
        try {
          ws.send(text);
          if (this.trace.watching) this.trace.send("out", text, undefined, readAttachment(ws)?.cpCalls);
          return true;
        } catch {
          return false;
        }
      },
      publish: (topic, payload, kind) => {
        if (this.trace.watching) this.trace.send("up", payload, topic);
        return outbox.publish(topic, payload, false, kind);
      },
      closeChargePoint: async (code, reason, text) => {
        const ws = this.currentSocket();
        if (ws !== undefined) await this.endConnection(ws, code, reason, true, text);
      },
      isConnected: () => this.currentSocket() !== undefined,
      now: () => Date.now(),
    };
    return ports;
  }
}
