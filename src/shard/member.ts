/**
 * One charge point held by a gateway shard: its socket (while connected), its session's state and timers, and its
 * durable part of the shard's storage. Everything that happens to it — connect, frames, closes, downstream
 * messages, timers, kicks, a move to another shard — runs one at a time, in arrival order, as it did in an object
 * of its own; different charge points run side by side. Behaviour is the session's (src/session/); this adapter
 * supplies its ports and keeps its timer: one in-memory timer per charge point, armed for its earliest deadline
 * (heartbeat check, the outstanding call's timeout, the outbox retry, the session's expiry).
 *
 * Life of a member: connected → away (its connection ended; queued calls wait `session_expiry_interval`) → gone
 * (its calls ended; it is remembered for RETENTION_MS, so that a command for it is answered `not_connected` and a
 * claim by another shard finds it) → forgotten. Its outbox, if the broker was away, drains before it is forgotten.
 */
import type { CertificateIdentity } from "../auth/client-certificate";
import { durationMs, type GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { renderTopic } from "../mqtt/topics";
import { protocolBySubprotocol } from "../ocpp/protocol";
import { newConnectionState, type Connection, type ConnectionState, type SessionPorts } from "../session/connection";
import type { QueuedCall } from "../session/downstream-calls";
import { checkKeepalive, connectedEvent, DisconnectReason, disconnectedEvent, reasonForRemoteClose } from "../session/lifecycle";
import { Outbox, type UpstreamLink } from "../session/outbox";
import { ChargePointSession } from "../session/session";
import type { GatewayAnalytics } from "./analytics";
import { clientInfo, setState, stateOf, type SocketState } from "./socket-state";
import type { ConnectRequest } from "./connect-request";
import type { SessionRecord, ShardStore } from "./store";
import type { ShardTrace } from "./trace";

/** How long a charge point whose session ended is remembered (commands for it answered `not_connected`). */
export const RETENTION_MS = 24 * 3600_000;
/** Timers further away are re-armed on the way (setTimeout takes at most 2^31 − 1 ms). */
const MAX_TIMER_MS = 6 * 3600_000;
/** After its session starts here, a charge point's calls are remembered this long, to skip duplicates in a handover. */
const HANDOVER_WINDOW_MS = 60_000;
/** Close codes a peer may report but that must not be sent back (RFC 6455 §7.4.1). */
const RESERVED_CLOSE_CODES = new Set([1005, 1006, 1015]);
const encoder = new TextEncoder();

/** Whether a text frame is longer than `max` bytes of UTF-8 (1 to 3 bytes per UTF-16 unit: count only when in doubt). */
function exceeds(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return encoder.encode(text).byteLength > max;
}

/** A charge point's live figures, for the management API. */
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

/** What a member needs from its shard. */
export interface MemberContext {
  readonly store: ShardStore;
  readonly upstream: UpstreamLink;
  readonly trace: ShardTrace;
  readonly analytics: GatewayAnalytics;
  /** Accepts the charge point's socket (its state, set before, says whose it is) and routes its events here. */
  accept(server: WebSocket, cid: string): void;
  /** The configuration with this id (deduplicated across the shard's members). */
  config(id: number): GatewayConfig;
  /** Makes the broker session hold this charge point's filters; false when that could not be confirmed in time. */
  subscribe(cid: string): Promise<boolean>;
  unsubscribe(cid: string): Promise<void>;
  /** Tells other shards that this one now holds the charge point (the one that held it hands it over); false when the link is down. */
  claim(cid: string): Promise<boolean>;
  /** Hands queued calls to the shard now holding the charge point; false when it could not be reached. */
  handOver(cid: string, to: string, calls: readonly QueuedCall[]): Promise<boolean>;
  /** The member has nothing left here: no session and no outbox. */
  forget(cid: string): void;
}

export class Member {
  private record: SessionRecord | undefined;
  private socket: WebSocket | undefined;
  private conn: Connection | undefined;
  private cached: { readonly conn: Connection; readonly state: ConnectionState; readonly session: ChargePointSession } | undefined;
  private queue: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  /** CSMS calls seen since the session started here, while a handover from another shard may still come. */
  private recentCalls: { readonly until: number; readonly ids: Set<string> } | undefined;

  constructor(
    readonly cid: string,
    private readonly ctx: MemberContext,
    record?: SessionRecord,
  ) {
    this.record = record;
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  get session(): SessionRecord | undefined {
    return this.record;
  }

  /** The open socket's state (for lists and analytics). */
  socketState(): SocketState | undefined {
    return this.socket === undefined ? undefined : stateOf(this.socket);
  }

  /** Runs `task` after everything this charge point has pending; never throws out (logged with `what`). */
  run<T>(what: string, task: () => Promise<T>, fallback: T): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run.catch((e: unknown) => {
      log("error", `${what}_failed`, { cid: this.cid, error: errorMessage(e) });
      return fallback;
    });
  }

  /**
   * A connection the Worker checked and routed here. The previous one, if still open, is replaced; calls queued for
   * another OCPP version end; the broker session is made to hold this charge point's filters (a first session here
   * also claims it from any other shard) before the charge point can be told it is connected.
   */
  async connect(request: ConnectRequest, server: WebSocket, configId: number): Promise<void> {
    const now = Date.now();
    const previous = this.record;
    if (this.socket !== undefined) await this.endConnection(this.socket, 1000, DisconnectReason.Replaced, false);
    const record: SessionRecord = {
      cid: this.cid,
      connId: crypto.randomUUID(),
      protocol: request.protocol,
      configId,
      connectedAt: now,
      placement: request.placement,
      ...(previous === undefined || previous.claimed === false ? { claimed: false } : {}),
      ...(request.username === undefined ? {} : { username: request.username }),
      ...(request.ip === undefined ? {} : { ip: request.ip }),
      ...(request.certificate === undefined ? {} : { certificate: JSON.stringify(request.certificate) }),
    };
    const current: SocketState = {
      connId: record.connId,
      cid: this.cid,
      protocol: request.protocol,
      ...(request.username === undefined ? {} : { username: request.username }),
      ...(request.ip === undefined ? {} : { ip: request.ip }),
      connectedAt: now,
      ...newConnectionState(now, durationMs(request.config.default_heartbeat_interval) / 1000),
    };
    setState(server, current);
    this.ctx.accept(server, this.cid);
    this.socket = server;
    this.setRecord(record);
    log("info", "client_connected", { cid: this.cid, connId: record.connId, protocol: request.protocol, ip: request.ip });

    const conn = this.connection();
    if (!(await this.ctx.subscribe(this.cid))) log("warn", "link_not_ready_at_connect", { cid: this.cid });
    if (previous === undefined) this.recentCalls = { until: now + HANDOVER_WINDOW_MS, ids: new Set() };
    await this.ensureClaimed();
    const relay = this.sessionFor(conn, current);
    // A call that went out on an earlier connection can no longer be answered.
    await relay.abandonInflight();
    // Calls queued for a charge point that now speaks another OCPP version were checked against the other
    // version's schemas: they end (`version_changed`) instead of reaching it.
    if (previous !== undefined && previous.protocol !== request.protocol) await relay.dropQueued("version_changed");
    await this.publishEvent(connectedEvent(clientInfo(current), request.certificate));
    await relay.resume();
    this.schedule();
  }

  /** A text or binary frame from the charge point's socket, `arrivedAt` when the runtime handed it over. */
  async frame(ws: WebSocket, message: string | ArrayBuffer, arrivedAt: number): Promise<void> {
    const current = stateOf(ws);
    if (current === undefined) {
      log("error", "socket_without_state", { cid: this.cid });
      return closeQuietly(ws, 1011, "internal error");
    }
    if (current.closing !== undefined || ws !== this.socket) return;
    if (this.ctx.trace.watching(this.cid)) this.ctx.trace.send(this.cid, "in", typeof message === "string" ? message : `<binary frame, ${message.byteLength} bytes>`);
    if (typeof message !== "string") {
      log("warn", "binary_frame", { cid: this.cid });
      return this.endConnection(ws, 1003, DisconnectReason.UnexpectedFrame, true, "binary frames are not supported");
    }
    const conn = this.connection();
    if (exceeds(message, conn.config.max_frame_size)) {
      log("warn", "frame_too_large", { cid: this.cid, length: message.length });
      return this.endConnection(ws, 1009, DisconnectReason.FrameTooLarge, true, `frames are limited to ${conn.config.max_frame_size} bytes`);
    }
    await this.sessionFor(conn, current).fromChargePoint(message, arrivedAt);
    this.schedule();
  }

  /** The charge point closed its socket (or the runtime reports it gone). */
  async closed(ws: WebSocket, code: number, reason: string): Promise<void> {
    const current = stateOf(ws);
    // 1006: the connection is gone (no Close frame came, RFC 6455 §7.1.5); closing it again would only make the
    // runtime report the failed write as an uncaught error.
    if (code !== 1006) closeQuietly(ws, RESERVED_CLOSE_CODES.has(code) ? 1000 : code, reason);
    if (current === undefined || current.closing !== undefined) return;
    // Ended once: the runtime can report an error for the same socket after its close (a lost connection once
    // the Close was answered), and that is not a second disconnection.
    current.closing = reasonForRemoteClose(code);
    log("info", "client_disconnected", { cid: this.cid, connId: current.connId, code, reason });
    if (this.socket === ws) this.socket = undefined;
    await this.afterDisconnect(current, reasonForRemoteClose(code), true);
  }

  /** A message the CSMS published on this charge point's downstream topic. */
  async deliver(envelope: string, uniqueId: string | undefined): Promise<void> {
    if (this.ctx.trace.watching(this.cid)) this.ctx.trace.send(this.cid, "down", envelope, undefined, this.socketState()?.cpCalls);
    if (uniqueId !== undefined) this.recentCalls?.ids.add(uniqueId);
    if (this.record === undefined) return;
    await this.sessionFor(this.connection(), this.socketState() ?? newConnectionState(Date.now())).fromCsms(envelope);
    this.schedule();
  }

  /** Whether the UniqueIds of this charge point's commands are being noted (a handover may still come). */
  watchingForHandover(): boolean {
    if (this.recentCalls === undefined) return false;
    if (Date.now() < this.recentCalls.until) return true;
    this.recentCalls = undefined;
    return false;
  }

  /** A changed layout places this charge point in another shard: closed (1012 Service Restart, `moved`) to reconnect there. */
  async move(): Promise<void> {
    if (this.socket === undefined) return;
    await this.endConnection(this.socket, 1012, DisconnectReason.Moved, true);
    this.schedule();
  }

  /** The management API's kick: closes the connection (1000, `kicked`). False when none is open. */
  async kick(): Promise<boolean> {
    if (this.socket === undefined) return false;
    await this.endConnection(this.socket, 1000, DisconnectReason.Kicked, true);
    this.schedule();
    return true;
  }

  stats(): ClientStats {
    const a = this.socketState();
    const { store } = this.ctx;
    return {
      connected: a !== undefined,
      ...(a === undefined ? {} : { conn_id: a.connId }),
      keepalive: a?.heartbeatInterval ?? 0,
      mqueue_len: store.queueLength(this.cid),
      inflight_cnt: store.inflightOf(this.cid) === undefined ? 0 : 1,
      outbox_len: store.outboxLength(this.cid),
      recv_msg: a?.recv ?? 0,
      send_msg: a?.sent ?? 0,
      malformed: a?.malformed ?? 0,
      invalid: a?.invalid ?? 0,
      dropped: a?.dropped ?? 0,
      call_errors: a?.callErrors ?? 0,
    };
  }

  /** Heartbeat check, idle timeout, call timeout, outbox retry, session expiry, and forgetting. */
  async tick(): Promise<void> {
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const record = this.record;
    if (record === undefined) {
      await this.outboxFor(undefined).retryIfDue();
      if (this.ctx.store.outboxLength(this.cid) === 0) return this.ctx.forget(this.cid);
      return this.schedule();
    }
    const conn = this.connection();
    const ws = this.socket;
    const current = ws === undefined ? undefined : stateOf(ws);
    if (ws !== undefined && current !== undefined) {
      const verdict = checkKeepalive(current, keepalivePolicy(conn.config), now);
      if (verdict.close !== undefined) {
        log("info", "closing_connection", { cid: this.cid, reason: verdict.close });
        await this.endConnection(ws, 1000, verdict.close, true);
      }
    }
    const flushed = await this.outboxFor(conn.config).retryIfDue();
    if (flushed > 0) log("info", "outbox_flushed", { cid: this.cid, messages: flushed });
    const relay = this.sessionFor(conn, this.socketState() ?? newConnectionState(now));
    await relay.expireCalls();
    if (this.socket === undefined && this.record !== undefined) {
      const { expiresAt, closedAt } = this.record;
      if (expiresAt !== undefined && now >= expiresAt) {
        const dropped = await relay.expireSession();
        if (dropped.length > 0) log("info", "session_expired", { cid: this.cid, dropped: dropped.length });
        const { expiresAt: _, ...rest } = this.record;
        this.setRecord(rest);
      } else if (expiresAt === undefined && closedAt !== undefined && now >= closedAt + RETENTION_MS) {
        await this.end(conn.config);
      }
    }
    this.schedule();
  }

  /**
   * Publishes this shard's claim if it was not published yet (the link was down when the session started here, or
   * the shard restarted before it could): until then a shard that held the charge point before still holds its
   * filters and would answer its commands too.
   */
  async ensureClaimed(): Promise<void> {
    if (this.record?.claimed !== false) return;
    if (await this.ctx.claim(this.cid)) {
      const { claimed: _, ...claimed } = this.record;
      this.setRecord(claimed);
    }
  }

  /** The broker is back: messages kept in the outbox go out now, in order, instead of at their next retry. */
  async flushOutbox(): Promise<void> {
    if (this.ctx.store.outboxLength(this.cid) === 0) return;
    const flushed = await this.outboxFor(this.record === undefined ? undefined : this.connection().config).flush();
    if (flushed > 0) log("info", "outbox_flushed", { cid: this.cid, messages: flushed });
    if (this.record === undefined && this.ctx.store.outboxLength(this.cid) === 0) return this.ctx.forget(this.cid);
    this.schedule();
  }

  /**
   * Storage says this connection is open but the shard has no socket for it: the runtime restarted (a deploy, a
   * crash) and dropped it without a close event. It is ended as if the charge point had dropped it.
   */
  async settleLost(): Promise<void> {
    const record = this.record;
    if (record === undefined || record.closedAt !== undefined || this.socket !== undefined) return this.schedule();
    log("warn", "connection_lost", { cid: this.cid, connId: record.connId });
    const lost: SocketState = {
      connId: record.connId,
      cid: this.cid,
      protocol: record.protocol,
      ...(record.username === undefined ? {} : { username: record.username }),
      ...(record.ip === undefined ? {} : { ip: record.ip }),
      connectedAt: record.connectedAt,
      ...newConnectionState(record.connectedAt),
    };
    await this.afterDisconnect(lost, DisconnectReason.SockClosed, true);
  }

  /**
   * Another shard now holds this charge point (it connected there): a connection still open here is closed as
   * replaced (its event is not retained, so it cannot overwrite the new connection's), queued calls go to the new
   * shard, and the broker session here stops holding its filters. The outbox stays and drains from here.
   */
  async release(to: string): Promise<void> {
    if (this.record === undefined) return;
    const conn = this.connection();
    if (this.socket !== undefined) {
      const ws = this.socket;
      const current = stateOf(ws);
      if (current !== undefined && current.closing === undefined) {
        current.closing = DisconnectReason.Replaced;
        closeQuietly(ws, 1000, DisconnectReason.Replaced);
        this.socket = undefined;
        await this.afterDisconnect(current, DisconnectReason.Replaced, false);
      }
    }
    const calls = await this.sessionFor(conn, newConnectionState(Date.now())).takeQueued();
    if (calls.length > 0 && !(await this.ctx.handOver(this.cid, to, calls))) {
      // The new shard could not take them: they end here, visibly, as if the charge point had stayed away.
      await this.sessionFor(conn, newConnectionState(Date.now())).endCalls(calls, "session_expired");
    }
    log("info", "charge_point_moved", { cid: this.cid, to, handedOver: calls.length });
    this.ctx.trace.closeAll(this.cid, "the charge point moved to another shard");
    await this.end(conn.config);
    this.schedule();
  }

  /** Calls handed over by the shard that held this charge point before. */
  async adopt(calls: readonly QueuedCall[]): Promise<void> {
    if (this.record === undefined) return;
    const seen = this.recentCalls?.ids ?? new Set<string>();
    const fresh = calls.filter((c) => !seen.has(c.uniqueId));
    await this.sessionFor(this.connection(), this.socketState() ?? newConnectionState(Date.now())).adopt(fresh);
    this.schedule();
  }

  /** The member's session ends here for good: its row and filters go; it is forgotten once its outbox is empty. */
  private async end(config: GatewayConfig): Promise<void> {
    this.ctx.store.deleteSession(this.cid);
    this.record = undefined;
    this.conn = undefined;
    this.cached = undefined;
    await this.ctx.unsubscribe(this.cid);
    if (this.ctx.store.outboxLength(this.cid) === 0) this.ctx.forget(this.cid);
  }

  /**
   * Closes a socket from the gateway's side and reports it: the disconnected event is published here, because the
   * runtime may not call webSocketClose for a close we initiated.
   */
  private async endConnection(ws: WebSocket, code: number, reason: DisconnectReason, sessionEnds: boolean, text?: string): Promise<void> {
    const current = stateOf(ws);
    // A socket the charge point already closed was reported by its close event.
    if (current === undefined || current.closing !== undefined || ws.readyState !== WebSocket.OPEN) return;
    current.closing = reason;
    closeQuietly(ws, code, text ?? reason);
    if (this.socket === ws) this.socket = undefined;
    if (sessionEnds) return this.afterDisconnect(current, reason, true);
    this.ctx.analytics.connectionEnded(current, reason, Date.now());
    await this.publishEvent(disconnectedEvent(clientInfo(current), reason, Date.now()));
  }

  /** The connection ended: event, outstanding call, session expiry. */
  private async afterDisconnect(current: SocketState, reason: string, retainEvent: boolean): Promise<void> {
    const now = Date.now();
    this.ctx.analytics.connectionEnded(current, reason, now);
    await this.publishEvent(disconnectedEvent(clientInfo(current), reason, now), retainEvent);
    if (this.socket !== undefined || this.record === undefined) return;
    const conn = this.connection();
    await this.sessionFor(conn, current).abandonInflight();
    if (this.record.connId === current.connId) {
      this.setRecord({ ...this.record, closedAt: now, expiresAt: now + durationMs(conn.config.dnstream.session_expiry_interval) });
    }
    this.schedule();
  }

  private async publishEvent(event: string, retain = true): Promise<void> {
    const { config } = this.connection();
    const topic = renderTopic(config.mountpoint, config.events_topic, { cid: this.cid });
    if (this.ctx.trace.watching(this.cid)) this.ctx.trace.send(this.cid, "up", event, topic);
    if ((await this.outboxFor(config).publish(topic, event, retain)) === "refused") {
      log("error", "event_dropped", { cid: this.cid, topic, reason: "outbox full or off and the broker unavailable" });
    }
  }

  private setRecord(record: SessionRecord): void {
    this.ctx.store.putSession(record);
    this.record = record;
  }

  /** The current (or last) connection: id, protocol version and configuration, rebuilt only when they change. */
  private connection(): Connection {
    const record = this.record;
    if (record === undefined) throw new Error("no session is stored");
    const config = this.ctx.config(record.configId);
    if (this.conn?.config !== config || this.conn.protocol.subprotocol !== record.protocol) {
      const protocol = protocolBySubprotocol(record.protocol);
      if (protocol === undefined) throw new Error(`the stored session speaks an unknown protocol '${record.protocol}'`);
      this.conn = { cid: this.cid, protocol, config };
    }
    return this.conn;
  }

  /** The session of a connection with the given state; the current connection's is built once and kept. */
  private sessionFor(conn: Connection, state: ConnectionState): ChargePointSession {
    const cached = this.cached;
    if (cached?.conn === conn && cached.state === state) return cached.session;
    const session = new ChargePointSession(conn, this.ports(conn), state, this.ctx.store.calls(this.cid));
    this.cached = { conn, state, session };
    return session;
  }

  private outboxFor(config: GatewayConfig | undefined): Outbox {
    const policy =
      config === undefined
        ? { maxLength: Number.MAX_SAFE_INTEGER, endingsReserve: 0 }
        : { maxLength: config.upstream.outbox_max_len, endingsReserve: config.dnstream.max_mqueue_len + 1 };
    return new Outbox(this.ctx.store.outbox(this.cid), this.ctx.upstream, policy, Date.now);
  }

  private ports(conn: Connection): SessionPorts {
    const outbox = this.outboxFor(conn.config);
    const ports: SessionPorts = {
      sendToChargePoint: (text, notBefore) => {
        const ws = this.socket;
        if (ws === undefined) return false;
        const wait = (notBefore ?? 0) - Date.now();
        if (wait > 0) {
          // A refusal paced by the rate limit (session/rate-limit.ts), for this connection only.
          setTimeout(() => {
            try {
              if (this.socket === ws) ports.sendToChargePoint(text);
            } catch (e) {
              log("error", "paced_send_failed", { cid: this.cid, error: errorMessage(e) });
            }
          }, wait);
          return true;
        }
        try {
          ws.send(text);
          if (this.ctx.trace.watching(this.cid)) this.ctx.trace.send(this.cid, "out", text, undefined, stateOf(ws)?.cpCalls);
          return true;
        } catch {
          return false;
        }
      },
      publish: (topic, payload, kind) => {
        if (this.ctx.trace.watching(this.cid)) this.ctx.trace.send(this.cid, "up", payload, topic);
        return outbox.publish(topic, payload, false, kind);
      },
      closeChargePoint: async (code, reason, text) => {
        if (this.socket !== undefined) await this.endConnection(this.socket, code, reason, true, text);
      },
      isConnected: () => this.socket !== undefined,
      now: () => Date.now(),
    };
    return ports;
  }

  /** Arms the timer for the earliest deadline, moving it only when it must come earlier. */
  schedule(): void {
    const now = Date.now();
    const { store } = this.ctx;
    const deadlines: number[] = [store.retryOf(this.cid)?.at ?? Number.POSITIVE_INFINITY];
    const record = this.record;
    if (record !== undefined) {
      deadlines.push(store.inflightOf(this.cid)?.deadline ?? Number.POSITIVE_INFINITY);
      const current = this.socketState();
      if (current !== undefined) {
        const next = checkKeepalive(current, keepalivePolicy(this.connection().config), now);
        deadlines.push(next.close !== undefined ? now : (next.nextCheck ?? Number.POSITIVE_INFINITY));
      } else if (record.expiresAt !== undefined) {
        deadlines.push(record.expiresAt);
      } else if (record.closedAt !== undefined) {
        deadlines.push(record.closedAt + RETENTION_MS);
      }
    }
    const earliest = Math.min(...deadlines);
    if (earliest === Number.POSITIVE_INFINITY || earliest >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = earliest;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        void this.run("timer", () => this.tick(), undefined);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, earliest - now)),
    );
  }

  /** Stops the timer (the member is forgotten). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** The certificate the connection authenticated with. */
  certificate(): CertificateIdentity | undefined {
    const text = this.record?.certificate;
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as CertificateIdentity;
    } catch {
      return undefined;
    }
  }
}

function keepalivePolicy(config: GatewayConfig) {
  return { idleTimeoutMs: durationMs(config.idle_timeout), backoff: config.heartbeat_checking_times_backoff };
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}
