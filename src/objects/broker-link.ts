/**
 * BrokerLink Durable Object: one of a small pool (shard = fnv1a(cid) mod BROKER_LINK_SHARDS), each holding ONE
 * MQTT 3.1.1 connection over WebSocket to the broker, so that charge point objects can hibernate. It
 *  - publishes for charge points by RPC, QoS 1, resolving once the broker sent PUBACK;
 *  - subscribes to the downstream filter (`ocpp/cs/+` by default) with a fixed client id per shard and a
 *    persistent session (clean session off), so commands published while it reconnects are delivered after;
 *  - hands each downstream message of its own shard to the charge point's object, in order per charge point,
 *    except retained and oversized ones, which it acknowledges and reports (src/mqtt/downstream-screen.ts);
 *  - reconnects with exponential backoff and jitter, and, once used, an alarm brings it back after an eviction
 *    or redeploy; a message the runtime cannot receive (over 32 MiB) is discarded with the broker's session.
 * Every RPC method answers with a value rather than throwing: a thrown error would be logged as uncaught here
 * as well as reported to the caller.
 */
import { DurableObject } from "cloudflare:workers";
import type { GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { backoffDelay } from "../mqtt/backoff";
import { MqttSession, type SessionEnd } from "../mqtt/session";
import { downstreamFilter } from "../mqtt/topics";
import { GatewayAnalytics } from "./analytics";
import { ConfigCache } from "./config-cache";
import { DownstreamRouter } from "./link-downstream";
import { openLinkSocket, type LinkSocket, type SocketEnd } from "./link-socket";
import { SessionRecovery, STALLED_RESUMES_BEFORE_DISCARD } from "./link-recovery";
import { LinkSubscriptions } from "./link-subscriptions";
import { ReadyWaiters } from "./link-waiters";
import { LinkUnavailableError, type LinkStatus, type PublishResult } from "./links";

/** How long a publish waits for the link to (re)connect before failing. */
const READY_WAIT_MS = 5_000;
const ACK_TIMEOUT_MS = 10_000;
const KEEPALIVE_SECONDS = 30;
const WATCHDOG_MS = 30_000;
/** A broker that refuses our credentials is retried slowly, never in a hot loop. */
const AUTH_RETRY_MS = 60_000;
/**
 * The configuration is cached, not read from KV per message; a change made through the management API reaches
 * the links at once (reconfigure), one written elsewhere within this time (KV itself takes up to a minute).
 */
const CONFIG_TTL_MS = 60_000;

const SHARD_KEY = "shard";
/** Set on first use: from then on the watchdog keeps the link connected, across evictions and redeploys. */
const KEEP_CONNECTED_KEY = "keep-connected";

/**
 * The client certificate the links present to the broker: wrangler.toml's optional
 * `[[mtls_certificates]] binding = "BROKER_MTLS"` (absent from the generated Env, where it is commented out).
 */
function brokerMtls(env: Env): Fetcher | undefined {
  return (env as Partial<Record<"BROKER_MTLS", Fetcher>>).BROKER_MTLS;
}

function filterOf(config: GatewayConfig): string {
  return downstreamFilter(config.mountpoint, config.dnstream.topic);
}

export class BrokerLink extends DurableObject<Env> {
  private shard = -1;
  private keepConnected = false;
  /** Charge points attached to this instance (for the status; not needed for correctness). */
  private readonly attached = new Set<string>();
  private state: LinkStatus["state"] = "idle";
  private session: MqttSession | undefined;
  private socket: LinkSocket | undefined;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiters = new ReadyWaiters();
  private readonly recovery = new SessionRecovery();
  private readonly subscriptions: LinkSubscriptions;
  private readonly config: ConfigCache;
  private readonly router: DownstreamRouter;
  /** The current configuration's downstream filter. */
  private filter: string | undefined;
  private lastError: { at: number; message: string } | undefined;
  private watchdogArmed = false;
  /** The broker refused our credentials: nothing will change before the slow retry, so publishes fail at once. */
  private authRefused = false;
  private readonly stats = { connects: 0, published: 0, delivered: 0, refused: 0, dropped: 0, sessionsDiscarded: 0 };
  /** A `link` point per watchdog tick (analytics.ts). */
  private readonly analytics: GatewayAnalytics;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.analytics = GatewayAnalytics.fromEnv(env);
    this.subscriptions = new LinkSubscriptions(ctx.storage, () => this.shard);
    this.config = new ConfigCache(env, CONFIG_TTL_MS, (config) => this.applyFilter(filterOf(config)));
    this.router = new DownstreamRouter({
      env,
      stats: this.stats,
      shard: () => this.shard,
      config: () => this.config.get(),
      publish: (topic, payload) => {
        const session = this.session;
        return session === undefined ? Promise.reject(new LinkUnavailableError("not connected")) : session.publish(topic, payload);
      },
    });
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
    try {
      await this.adoptShard(shard);
      this.attached.add(cid);
      if (!this.keepConnected) {
        this.keepConnected = true;
        await this.ctx.storage.put(KEEP_CONNECTED_KEY, true);
      }
      this.armWatchdog();
      if (this.state === "waiting") return false;
      await this.whenReady();
      return true;
    } catch {
      return false;
    }
  }

  async detach(shard: number, cid: string): Promise<void> {
    this.attached.delete(cid);
    await this.adoptShard(shard).catch((e: unknown) => log("error", "link_detach_failed", { shard, error: errorMessage(e) }));
  }

  /** The watchdog alarm, set once per instance rather than checked on every attach. */
  private armWatchdog(): void {
    if (this.watchdogArmed) return;
    this.watchdogArmed = true;
    this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS).catch((e: unknown) => {
      this.watchdogArmed = false;
      log("error", "link_watchdog_failed", { shard: this.shard, error: errorMessage(e) });
    });
  }

  /** Publishes with QoS 1; `ok` once the broker acknowledged (PUBACK). */
  async publish(shard: number, topic: string, payload: string, retain = false): Promise<PublishResult> {
    try {
      await this.adoptShard(shard);
      const session = await this.whenReady();
      await session.publish(topic, payload, retain);
      this.stats.published++;
      return { ok: true };
    } catch (e) {
      return { ok: false, error: errorMessage(e) };
    }
  }

  /**
   * The configuration changed: make the new downstream filter the only one, on the live session now (subscribe
   * the new one, then unsubscribe the old one) or at the next connection. Charge points that connected under the
   * old configuration still get their commands: delivery does not depend on the topic they came from.
   * False when the change could not be applied now (logged; the next connection retries).
   */
  async reconfigure(shard: number): Promise<boolean> {
    try {
      await this.adoptShard(shard);
      await this.config.get(true);
      const session = this.session;
      if (this.state !== "connected" || session === undefined || this.filter === undefined) return true;
      return await this.subscriptions.sync(session, this.filter);
    } catch (e) {
      log("warn", "link_reconfigure_failed", { shard, error: errorMessage(e) });
      return false;
    }
  }

  /**
   * Drops the connection and comes back with a new one at once (for an operator, e.g. after changing the broker
   * credentials). `reset` also resets the object itself, as an eviction or a redeploy would (the fault tests use
   * it; the runtime logs the reset as an error).
   */
  async restart(shard: number, reset = false): Promise<void> {
    await this.adoptShard(shard);
    log("warn", "link_restart", { shard, reset });
    if (reset) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + 1_000);
      this.ctx.abort("restarted through the management API");
    }
    this.config.expire();
    if (this.session !== undefined) {
      this.recovery.reconnectAtOnce();
      this.session.disconnect("restarted through the management API");
    } else if (this.state === "waiting") {
      this.retryAt(0);
    }
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
      subscriptions: await this.subscriptions.known(),
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
    this.analytics.linkTick({ shard: this.shard, state: this.state, clientId: this.clientId(), attached: this.attached.size, ...this.stats, ...(this.lastError === undefined ? {} : { lastError: this.lastError }) });
  }

  private async adoptShard(shard: number): Promise<void> {
    if (this.shard === shard) return;
    this.shard = shard;
    await this.ctx.storage.put(SHARD_KEY, shard);
  }

  private clientId(): string {
    return `${this.env.MQTT_CLIENT_ID_PREFIX || "ocpp-gateway"}-${this.shard}`;
  }

  /** A changed downstream filter is applied to the live session at once. */
  private applyFilter(filter: string): void {
    const before = this.filter;
    this.filter = filter;
    const session = this.session;
    if (before !== undefined && before !== filter && this.state === "connected" && session !== undefined) {
      void this.subscriptions.sync(session, filter);
    }
  }

  private whenReady(): Promise<MqttSession> {
    if (this.state === "connected" && this.session?.isReady) return Promise.resolve(this.session);
    if (this.state === "waiting" && this.authRefused) {
      return Promise.reject(new LinkUnavailableError(`broker link ${this.shard} unavailable: ${this.lastError?.message ?? "refused"}`));
    }
    this.ensureConnecting();
    return this.waiters.wait(READY_WAIT_MS, () => {
      const why = this.lastError?.message ?? "not connected yet";
      return new LinkUnavailableError(`broker link ${this.shard} unavailable: ${why}`);
    });
  }

  private ensureConnecting(): void {
    if (this.state !== "idle") return;
    this.state = "connecting";
    this.openConnection().catch((e: unknown) => this.onSessionEnd(undefined, { kind: "closed", message: errorMessage(e) }));
  }

  private async openConnection(): Promise<void> {
    const url = this.env.MQTT_URL;
    if (!url) throw new Error("MQTT_URL is not set");
    const filter = filterOf(await this.config.get(true));
    const clean = this.recovery.discardNext;
    const filters = clean ? [] : [filter];
    await this.subscriptions.beforeConnect(filters, clean);
    let session: MqttSession | undefined;
    const socket = openLinkSocket(
      url,
      this.shard,
      {
        open: () => session?.start(),
        bytes: (data) => session?.receive(data),
        text: () => session?.end({ kind: "protocol", message: "broker sent a non-binary WebSocket frame" }),
        end: (end) => this.onSocketEnd(session, end),
      },
      brokerMtls(this.env),
    );
    session = new MqttSession(
      { send: (bytes) => socket.send(bytes) },
      {
        clientId: this.clientId(),
        ...(this.env.MQTT_USERNAME ? { username: this.env.MQTT_USERNAME } : {}),
        ...(this.env.MQTT_PASSWORD ? { password: this.env.MQTT_PASSWORD } : {}),
        keepaliveSeconds: KEEPALIVE_SECONDS,
        cleanSession: clean,
        subscriptions: filters,
        ackTimeoutMs: ACK_TIMEOUT_MS,
      },
      {
        onReady: (sessionPresent) => this.onReady(session as MqttSession, sessionPresent, clean),
        onMessage: (topic, payload, flags) => this.router.route(topic, payload, flags),
        onEnd: (end) => this.onSessionEnd(session, end),
      },
    );
    this.session = session;
    this.socket = socket;
  }

  private onSocketEnd(session: MqttSession | undefined, end: SocketEnd): void {
    if (end.tooBig && session !== undefined && this.session === session) {
      this.recovery.tooBig();
      this.logDiscard("link_message_too_big", end.message);
    }
    session?.end({ kind: "closed", message: end.message });
  }

  /** The next connection discards the broker session (src/objects/link-recovery.ts). */
  private logDiscard(event: string, why: string): void {
    this.lastError = { at: Date.now(), message: why };
    log("error", event, {
      shard: this.shard,
      clientId: this.clientId(),
      error: why,
      action: "reconnecting once with a clean session: the broker discards the messages queued for this link",
    });
  }

  private onReady(session: MqttSession, sessionPresent: boolean, clean: boolean): void {
    if (this.session !== session) return;
    if (clean) {
      this.recovery.discarded();
      this.stats.sessionsDiscarded++;
      log("error", "link_session_discarded", { shard: this.shard, clientId: this.clientId() });
      session.disconnect("broker session discarded; reconnecting with a persistent session");
      return;
    }
    this.state = "connected";
    this.attempt = 0;
    this.recovery.connected();
    this.authRefused = false;
    this.stats.connects++;
    this.lastError = undefined;
    log("info", "link_connected", { shard: this.shard, clientId: this.clientId(), filter: this.filter, sessionPresent });
    this.waiters.resolveAll(session);
    if (this.filter !== undefined) void this.subscriptions.sync(session, this.filter);
  }

  private onSessionEnd(session: MqttSession | undefined, end: SessionEnd): void {
    if (session !== undefined && this.session !== session) return;
    this.session = undefined;
    this.socket?.close();
    this.socket = undefined;
    if (end.kind === "stalled" && this.recovery.stalled()) {
      this.logDiscard("link_session_stalled", `${STALLED_RESUMES_BEFORE_DISCARD} resumed sessions in a row stalled before their SUBACK (${end.message})`);
    }
    const authProblem = end.kind === "refused" && (end.returnCode === 4 || end.returnCode === 5);
    this.authRefused = authProblem;
    const now = this.recovery.takeReconnectNow();
    if (!now) this.lastError = { at: Date.now(), message: end.message };
    const delay = authProblem ? AUTH_RETRY_MS : now ? 0 : backoffDelay(this.attempt++);
    log(authProblem ? "error" : now ? "info" : "warn", "link_down", { shard: this.shard, reason: end.message, retryInMs: delay });
    if (authProblem) {
      const error = new LinkUnavailableError(`broker link ${this.shard} unavailable: ${end.message}`);
      this.waiters.rejectAll(error);
    }
    this.retryAt(delay);
  }

  private retryAt(delay: number): void {
    this.state = "waiting";
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.state = "idle";
      this.ensureConnecting();
    }, delay);
  }
}
