/**
 * One charge point's session: what happens to each message between it and the broker, and the timers and
 * connection changes the ChargePoint object drives. Composed of named parts, built once per connection: the
 * CSMS publisher, the charge point's calls, the CSMS's calls (one outstanding, the rest queued), the rate limit, and
 * the upstream and downstream halves. Knows nothing of sockets, Durable Objects or MQTT connections: the object
 * supplies the ports and the stores; the protocol version comes with the connection.
 */
import { durationMs } from "../config/gateway-config";
import { log } from "../log";
import { ChargePointCalls } from "./charge-point-calls";
import type { Connection, ConnectionState, SessionPorts } from "./connection";
import { CsmsPublisher } from "./csms-publisher";
import { Downstream } from "./downstream";
import { DownstreamCalls, type CallStore, type InflightCall, type QueuedCall } from "./downstream-calls";
import type { SessionParts } from "./parts";
import { FrameRateLimit } from "./rate-limit";
import { Upstream } from "./upstream";

export class ChargePointSession {
  private readonly parts: SessionParts;
  private readonly upstream: Upstream;
  private readonly downstream: Downstream;

  constructor(conn: Connection, ports: SessionPorts, state: ConnectionState, callStore: CallStore) {
    const toChargePoint = (text: string, notBefore?: number): boolean => {
      const sent = ports.sendToChargePoint(text, notBefore);
      if (sent) state.sent++;
      return sent;
    };
    const cpCalls = new ChargePointCalls(state);
    const csmsCalls = new DownstreamCalls(
      callStore,
      { awaitingTimeoutMs: durationMs(conn.config.dnstream.awaiting_timeout), maxQueueLength: conn.config.dnstream.max_mqueue_len },
      toChargePoint,
    );
    this.parts = {
      conn,
      ports,
      state,
      csms: new CsmsPublisher(conn, ports, state),
      cpCalls,
      csmsCalls,
      limit: new FrameRateLimit(conn.config, state),
      toChargePoint,
      sendNext: () => this.sendNext(),
    };
    this.upstream = new Upstream(this.parts);
    this.downstream = new Downstream(this.parts);
  }

  /** The per-connection state this session works on (the socket's attachment). */
  get state(): ConnectionState {
    return this.parts.state;
  }

  /** A text frame from the charge point, `arrivedAt` when it arrived. */
  fromChargePoint(text: string, arrivedAt: number = this.parts.ports.now()): Promise<void> {
    return this.upstream.handle(text, arrivedAt);
  }

  /** An envelope the CSMS published on this charge point's downstream topic. */
  fromCsms(text: string): Promise<void> {
    return this.downstream.handle(text);
  }

  /** Deadline of the outstanding downstream call, if any. */
  callDeadline(): Promise<number | undefined> {
    return this.parts.csmsCalls.deadline();
  }

  /** Ends the outstanding call if its time is up, then sends the next. */
  async expireCalls(): Promise<InflightCall | undefined> {
    const expired = await this.parts.csmsCalls.expireInflight(this.parts.ports.now());
    if (expired === undefined) return undefined;
    await this.parts.csms.endCall(expired, "timeout");
    await this.sendNext();
    return expired;
  }

  /** The connection the outstanding call went out on has ended: the call cannot be answered any more. */
  async abandonInflight(): Promise<void> {
    const abandoned = await this.parts.csmsCalls.abandonInflight();
    if (abandoned !== undefined) await this.parts.csms.endCall(abandoned, "disconnected");
  }

  /** A (re)connected charge point: queued calls go out, one at a time. */
  resume(): Promise<void> {
    return this.sendNext();
  }

  /** The charge point stayed away past the session expiry: every queued call ends. */
  expireSession(): Promise<QueuedCall[]> {
    return this.dropQueued("session_expired");
  }

  /** Every queued call ends, reported with `end`. */
  async dropQueued(end: "session_expired" | "version_changed"): Promise<QueuedCall[]> {
    const dropped = await this.parts.csmsCalls.drain();
    await this.endCalls(dropped, end);
    return dropped;
  }

  /** Takes every queued call out, unreported (they are handed to another shard). */
  takeQueued(): Promise<QueuedCall[]> {
    return this.parts.csmsCalls.drain();
  }

  /** Reports each call as ended by the gateway. */
  async endCalls(calls: readonly QueuedCall[], end: "session_expired" | "version_changed"): Promise<void> {
    for (const call of calls) await this.parts.csms.endCall(call, end);
  }

  /**
   * Calls queued for this charge point by the shard that held it before: queued behind what is waiting here, in
   * their order; one already outstanding or queued here is skipped, and those beyond the queue's limit end
   * (`queue_full`) as they would have on arrival.
   */
  async adopt(calls: readonly QueuedCall[]): Promise<void> {
    const { csmsCalls, csms } = this.parts;
    for (const call of calls) {
      const outcome = await csmsCalls.adopt(call);
      if (outcome !== undefined) await csms.endCall(call, outcome);
    }
    await this.sendNext();
  }

  private async sendNext(): Promise<void> {
    const { csmsCalls, ports, conn } = this.parts;
    const sent = await csmsCalls.sendNext(ports.isConnected(), ports.now());
    if (sent !== undefined) log("info", "call_dequeued", { cid: conn.cid, uniqueId: sent.uniqueId });
  }
}
