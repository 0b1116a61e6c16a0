/**
 * BrokerLink Durable Object: one of a small pool (shard = fnv1a(cid) mod BROKER_LINK_SHARDS), each holding ONE
 * MQTT 3.1.1 connection over WebSocket to the broker, so that charge point objects can hibernate. It
 *  - publishes for charge points by RPC, QoS 1, resolving once the broker sent PUBACK;
 *  - subscribes to the downstream filter (`ocpp/cs/+` by default) with a fixed client id per shard and a
 *    persistent session (clean session off), so commands published while it reconnects are delivered after;
 *  - hands each downstream message of its own shard to the charge point's object, in order per charge point;
 *  - reconnects with exponential backoff and jitter, and, once used, an alarm brings it back after an eviction
 *    or redeploy.
 */
import { DurableObject } from "cloudflare:workers";
import { errorMessage, log } from "../log";
import { backoffDelay } from "../mqtt/backoff";
import { MqttSession, type SessionEnd } from "../mqtt/session";
import { shardOf } from "../mqtt/shard";
import { cidFromDownstreamTopic, downstreamFilter } from "../mqtt/topics";
import { isChargePointId } from "../ocpp/identity";
import { brokerLinkShards, loadGatewayConfig } from "./config-store";

/** How long a publish waits for the link to (re)connect before failing. */
const READY_WAIT_MS = 5_000;
const ACK_TIMEOUT_MS = 10_000;
const KEEPALIVE_SECONDS = 30;
const WATCHDOG_MS = 30_000;
/** A broker that refuses our credentials is retried slowly, never in a hot loop. */
const AUTH_RETRY_MS = 60_000;

const SHARD_KEY = "shard";
/** Set on first use: from then on the watchdog keeps the link connected, across evictions and redeploys. */
const KEEP_CONNECTED_KEY = "keep-connected";

export class LinkUnavailableError extends Error {
  override readonly name = "LinkUnavailableError";
}

export interface LinkStatus {
  readonly shard: number;
  readonly state: "idle" | "connecting" | "connected" | "waiting";
  readonly clientId: string;
  /** Charge points attached since this instance started. */
  readonly attached: number;
  readonly connects: number;
  readonly published: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly lastError?: { readonly at: number; readonly message: string };
}

interface Waiter {
  resolve(session: MqttSession): void;
  reject(error: Error): void;
}

export class BrokerLink extends DurableObject<Env> {
  private shard = -1;
  private keepConnected = false;
  /** Charge points attached to this instance (for the status; not needed for correctness). */
  private readonly attached = new Set<string>();
  private state: LinkStatus["state"] = "idle";
  private session: MqttSession | undefined;
  private socket: WebSocket | undefined;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly perCharger = new Map<string, Promise<void>>();
  /** Downstream templates subscribed on the current connection: the configuration's, and earlier ones. */
  private readonly routes = new Map<string, { mountpoint: string; template: string }>();
  private lastError: { at: number; message: string } | undefined;
  private watchdogArmed = false;
  /** The broker refused our credentials: nothing will change before the slow retry, so publishes fail at once. */
  private authRefused = false;
  private readonly stats = { connects: 0, published: 0, delivered: 0, dropped: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.shard = (await ctx.storage.get<number>(SHARD_KEY)) ?? -1;
      this.keepConnected = (await ctx.storage.get<boolean>(KEEP_CONNECTED_KEY)) === true;
    });
  }

  /**
   * A charge point connected on this shard. From the first one on, the link stays connected (its watchdog alarm
   * brings it back after an eviction or redeploy), without a storage write per connect: this object is shared by
   * every charge point of the shard. Resolves once the downstream subscription is live (or after READY_WAIT_MS),
   * so commands published right after a charge point connected do not meet a broker with no subscriber for them.
   * Reports whether the link is up.
   */
  async attach(shard: number, cid: string): Promise<boolean> {
    await this.adoptShard(shard);
    this.attached.add(cid);
    if (!this.keepConnected) {
      this.keepConnected = true;
      await this.ctx.storage.put(KEEP_CONNECTED_KEY, true);
    }
    this.armWatchdog();
    if (this.state === "waiting") return false;
    try {
      await this.whenReady();
      return true;
    } catch {
      return false;
    }
  }

  async detach(shard: number, cid: string): Promise<void> {
    await this.adoptShard(shard);
    this.attached.delete(cid);
  }

  /** The watchdog alarm, set once per instance rather than checked on every attach. */
  private armWatchdog(): void {
    if (this.watchdogArmed) return;
    this.watchdogArmed = true;
    void this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
  }

  /** Publishes with QoS 1 and resolves once the broker acknowledged (PUBACK). */
  async publish(shard: number, topic: string, payload: string, retain = false): Promise<void> {
    await this.adoptShard(shard);
    const session = await this.whenReady();
    await session.publish(topic, payload, retain);
    this.stats.published++;
  }

  /**
   * The configuration changed: subscribe to a new downstream filter at once. Filters of earlier configurations
   * stay, for charge points that connected under them (and the broker keeps them in the persistent session).
   */
  async reconfigure(shard: number): Promise<void> {
    await this.adoptShard(shard);
    const config = await loadGatewayConfig(this.env);
    const filter = downstreamFilter(config.mountpoint, config.dnstream.topic);
    if (this.routes.has(filter)) return;
    this.routes.set(filter, { mountpoint: config.mountpoint, template: config.dnstream.topic });
    if (this.state === "connected" && this.session !== undefined) {
      await this.session.subscribe([filter]);
      log("info", "link_subscribed", { shard: this.shard, filter });
    }
  }

  /**
   * Drops the connection and the object's memory, as an eviction or a redeploy would, and comes back with a new
   * connection (for an operator after changing broker credentials; also how the fault tests evict the link).
   */
  async restart(shard: number): Promise<void> {
    await this.adoptShard(shard);
    log("warn", "link_restart", { shard });
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + 1_000);
    this.ctx.abort("restarted through the management API");
  }

  /** Whether the link is connected now (does not wait or connect). */
  async isReady(): Promise<boolean> {
    return this.state === "connected" && this.session?.isReady === true;
  }

  async status(): Promise<LinkStatus> {
    return {
      shard: this.shard,
      state: this.state,
      clientId: this.clientId(),
      attached: this.attached.size,
      ...this.stats,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  /** Watchdog: reconnects after an eviction or redeploy once the link has been used. */
  override async alarm(): Promise<void> {
    this.watchdogArmed = false;
    if (!this.keepConnected) return;
    this.ensureConnecting();
    this.armWatchdog();
  }

  private async adoptShard(shard: number): Promise<void> {
    if (this.shard === shard) return;
    this.shard = shard;
    await this.ctx.storage.put(SHARD_KEY, shard);
  }

  private clientId(): string {
    return `${this.env.MQTT_CLIENT_ID_PREFIX || "ocpp-gateway"}-${this.shard}`;
  }

  private whenReady(): Promise<MqttSession> {
    if (this.state === "connected" && this.session?.isReady) return Promise.resolve(this.session);
    if (this.state === "waiting" && this.authRefused) {
      return Promise.reject(new LinkUnavailableError(`broker link ${this.shard} unavailable: ${this.lastError?.message ?? "refused"}`));
    }
    this.ensureConnecting();
    return new Promise<MqttSession>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const why = this.lastError?.message ?? "not connected yet";
        reject(new LinkUnavailableError(`broker link ${this.shard} unavailable: ${why}`));
      }, READY_WAIT_MS);
      this.waiters.add(waiter);
    });
  }

  private ensureConnecting(): void {
    if (this.state !== "idle") return;
    this.openConnection().catch((e: unknown) => this.onSessionEnd(undefined, { kind: "closed", message: errorMessage(e) }));
  }

  private async openConnection(): Promise<void> {
    this.state = "connecting";
    const url = this.env.MQTT_URL;
    if (!url) throw new Error("MQTT_URL is not set");
    const config = await loadGatewayConfig(this.env);
    const filter = downstreamFilter(config.mountpoint, config.dnstream.topic);
    this.routes.set(filter, { mountpoint: config.mountpoint, template: config.dnstream.topic });
    const socket = new WebSocket(url, "mqtt");
    socket.binaryType = "arraybuffer";
    const session: MqttSession = new MqttSession(
      { send: (bytes) => socket.send(bytes) },
      {
        clientId: this.clientId(),
        ...(this.env.MQTT_USERNAME ? { username: this.env.MQTT_USERNAME } : {}),
        ...(this.env.MQTT_PASSWORD ? { password: this.env.MQTT_PASSWORD } : {}),
        keepaliveSeconds: KEEPALIVE_SECONDS,
        cleanSession: false,
        subscriptions: [...this.routes.keys()],
        ackTimeoutMs: ACK_TIMEOUT_MS,
      },
      {
        onReady: (sessionPresent) => this.onReady(session, sessionPresent, filter),
        onMessage: (topic, payload) => this.route(topic, payload),
        onEnd: (end) => this.onSessionEnd(session, end),
      },
    );
    this.session = session;
    this.socket = socket;
    socket.addEventListener("open", () => session.start());
    socket.addEventListener("message", (event) => {
      const data = event.data;
      if (data instanceof ArrayBuffer) session.receive(new Uint8Array(data));
      else session.end({ kind: "protocol", message: "broker sent a non-binary WebSocket frame" });
    });
    socket.addEventListener("close", (event) => {
      session.end({ kind: "closed", message: `WebSocket closed (${event.code}${event.reason ? ` ${event.reason}` : ""})` });
    });
    socket.addEventListener("error", () => session.end({ kind: "closed", message: "WebSocket error" }));
  }

  private onReady(session: MqttSession, sessionPresent: boolean, filter: string): void {
    if (this.session !== session) return;
    this.state = "connected";
    this.attempt = 0;
    this.authRefused = false;
    this.stats.connects++;
    this.lastError = undefined;
    log("info", "link_connected", { shard: this.shard, clientId: this.clientId(), filter, sessionPresent });
    for (const w of this.waiters) w.resolve(session);
    this.waiters.clear();
  }

  private onSessionEnd(session: MqttSession | undefined, end: SessionEnd): void {
    if (session !== undefined && this.session !== session) return;
    this.session = undefined;
    try {
      this.socket?.close(1000, "MQTT session ended");
    } catch {
      // already closed
    }
    this.socket = undefined;
    this.lastError = { at: Date.now(), message: end.message };
    const authProblem = end.kind === "refused" && (end.returnCode === 4 || end.returnCode === 5);
    this.authRefused = authProblem;
    const delay = authProblem ? AUTH_RETRY_MS : backoffDelay(this.attempt++);
    log(authProblem ? "error" : "warn", "link_down", { shard: this.shard, reason: end.message, retryInMs: delay });
    this.state = "waiting";
    if (authProblem) {
      const error = new LinkUnavailableError(`broker link ${this.shard} unavailable: ${end.message}`);
      for (const w of this.waiters) w.reject(error);
      this.waiters.clear();
    }
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.state = "idle";
      this.ensureConnecting();
    }, delay);
  }

  /** A downstream message: find its charge point and hand it over, in order per charge point. */
  private route(topic: string, payload: Uint8Array): Promise<void> {
    let cid: string | undefined;
    for (const { mountpoint, template } of this.routes.values()) {
      cid = cidFromDownstreamTopic(mountpoint, template, topic);
      if (cid !== undefined) break;
    }
    if (cid === undefined || !isChargePointId(cid)) {
      this.stats.dropped++;
      log("warn", "downstream_unroutable", { shard: this.shard, topic });
      return Promise.resolve();
    }
    if (shardOf(cid, brokerLinkShards(this.env)) !== this.shard) return Promise.resolve();
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(payload);
    } catch {
      this.stats.dropped++;
      log("warn", "downstream_not_utf8", { shard: this.shard, cid });
      return Promise.resolve();
    }
    const previous = this.perCharger.get(cid) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(cid, text));
    this.perCharger.set(cid, next);
    void next.finally(() => {
      if (this.perCharger.get(cid) === next) this.perCharger.delete(cid);
    });
    return next;
  }

  private async deliver(cid: string, text: string): Promise<void> {
    try {
      await this.env.CHARGE_POINT.get(this.env.CHARGE_POINT.idFromName(cid)).deliver(cid, text);
      this.stats.delivered++;
    } catch (e) {
      this.stats.dropped++;
      log("error", "downstream_delivery_failed", { shard: this.shard, cid, error: errorMessage(e) });
    }
  }
}
