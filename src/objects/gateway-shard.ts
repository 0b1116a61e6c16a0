/**
 * GatewayShard Durable Object: one per (region, index) (src/shard/address.ts). It holds the WebSockets of many
 * charge points (standard API: see accept), their sessions, queues and outboxes in its SQLite
 * storage, their timers in memory, and its own MQTT connection to the broker: a frame crosses no Durable Object RPC,
 * and a downstream message arrives on the shard's own connection, on a filter per charge point it holds. The shard
 * stays in memory while it holds sockets or its broker connection; one storage alarm a minute brings it back after a restart
 * while it holds anything. This class is the adapter: it routes sockets, messages, timers and the management API's
 * requests to the members (src/shard/member.ts), which delegate to src/session/. No handler throws out.
 */
import { DurableObject } from "cloudflare:workers";
import { ConfigCache } from "../config/cache";
import { resolveConfig, type GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { protocolBySubprotocol } from "../ocpp/protocol";
import type { QueuedCall } from "../session/downstream-calls";
import { parsePlacement, parseShardName, regionOf, shardAddress, shardName, shardStub } from "../shard/address";
import { GatewayAnalytics } from "../shard/analytics";
import { downstreamFilterFor } from "../mqtt/topics";
import { frameArrived } from "../session/lifecycle";
import { stateOf } from "../shard/socket-state";
import { ShardBroker } from "../shard/broker";
import { clientView, matches, type ClientPage, type ClientQuery, type ClientView } from "../shard/clients";
import { CONNECT_HEADER, decodeConnectRequest } from "../shard/connect-request";
import { Member, type ClientStats, type MemberContext } from "../shard/member";
import { route } from "../shard/routing";
import { ShardStore } from "../shard/store";
import { ShardTrace, TRACE_HEADER, TRACE_SHARD_HEADER } from "../shard/trace";
import type { LinkStatus } from "../link/status";

/** The safety-net alarm's period while the shard holds anything (one row written each time). */
const WATCHDOG_MS = 60_000;
/**
 * The configuration is cached, not read from KV per message; a change made through the management API reaches the
 * shards at once (reconfigure), one written elsewhere within this time (KV itself takes up to a minute).
 */
const CONFIG_TTL_MS = 60_000;
const NAME_KEY = "name";
const DOWNSTREAM_KEY = "downstream-template";

/** Figures for the metrics endpoint: summed over the shard's connected charge points. */
export interface ShardFigures {
  readonly byVersion: Record<string, number>;
  readonly sums: Omit<ClientStats, "connected" | "conn_id" | "keepalive">;
  readonly link: LinkStatus;
}

export class GatewayShard extends DurableObject<Env> {
  private name = "";
  private broker: ShardBroker | undefined;
  private readonly members = new Map<string, Member>();
  private readonly store: ShardStore;
  private readonly trace: ShardTrace;
  private readonly analytics: GatewayAnalytics;
  private readonly configs = new Map<number, GatewayConfig>();
  private readonly configIds = new Map<string, number>();
  private readonly current: ConfigCache;
  private readonly context: MemberContext;
  private watchdogArmed = false;
  /** The downstream topic (mountpoint + template) the charge points' filters follow; kept, so a restart sees a change. */
  private downstreamTemplate: string | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ShardStore(ctx.storage);
    this.trace = new ShardTrace();
    this.analytics = GatewayAnalytics.fromEnv(env);
    this.current = new ConfigCache(env, CONFIG_TTL_MS, (config) => this.followDownstreamTopic(config));
    this.context = {
      store: this.store,
      upstream: {
        publish: (topic, payload, retain) => this.brokerOrThrow().upstream().publish(topic, payload, retain),
        isReady: async () => this.broker?.link.ready !== undefined,
      },
      trace: this.trace,
      analytics: this.analytics,
      accept: (server) => this.accept(server),
      config: (id) => this.configById(id),
      subscribe: async (cid) => this.brokerOrThrow().subscribe(cid, await this.routingConfig()),
      unsubscribe: async (cid) => this.brokerOrThrow().unsubscribe(cid, await this.routingConfig()),
      claim: (cid) => this.brokerOrThrow().claim(cid),
      handOver: (cid, to, calls) => this.handOver(cid, to, calls),
      forget: (cid) => this.forget(cid),
    };
    void ctx.blockConcurrencyWhile(async () => {
      const name = await ctx.storage.get<string>(NAME_KEY);
      this.downstreamTemplate = await ctx.storage.get<string>(DOWNSTREAM_KEY);
      if (name !== undefined) this.useName(name);
      this.restore();
    });
  }

  /** Charge point upgrades (the Worker checked everything and chose this shard) and trace watchers. */
  override async fetch(request: Request): Promise<Response> {
    try {
      const connect = decodeConnectRequest(request.headers.get(CONNECT_HEADER));
      const traceCid = request.headers.get(TRACE_HEADER);
      const upgrade = request.headers.get("Upgrade")?.toLowerCase() === "websocket";
      if (connect === undefined && traceCid !== null && upgrade) {
        await this.adoptName(request.headers.get(TRACE_SHARD_HEADER) ?? "");
        const member = this.members.get(traceCid);
        const open = member?.connected === true;
        return this.trace.accept(traceCid, open, open ? member?.session?.protocol : undefined);
      }
      if (connect === undefined || !upgrade) {
        return Response.json({ code: "BAD_REQUEST", message: "not a gateway upgrade request" }, { status: 400 });
      }
      await this.adoptName(connect.shard);
      const member = this.member(connect.cid);
      const configId = this.configIdOf(connect.config);
      const { 0: client, 1: server } = new WebSocketPair();
      const ok = await member.run(
        "connect_handler",
        async () => {
          await member.connect(connect, server, configId);
          return true;
        },
        false,
      );
      if (!ok) {
        try {
          server.close(1011, "internal error");
        } catch {
          // never accepted
        }
        if (member.session === undefined && this.store.outboxLength(connect.cid) === 0) this.forget(connect.cid);
        return Response.json({ code: "INTERNAL_ERROR", message: "the connection could not be set up" }, { status: 500 });
      }
      this.armWatchdog();
      const headers = connect.echoProtocol ? { "Sec-WebSocket-Protocol": connect.protocol } : undefined;
      return new Response(null, { status: 101, webSocket: client, ...(headers ? { headers } : {}) });
    } catch (e) {
      log("error", "shard_fetch_failed", { shard: this.name, error: errorMessage(e) });
      return Response.json({ code: "INTERNAL_ERROR", message: "the connection could not be set up" }, { status: 500 });
    }
  }

  /**
   * A charge point's socket, accepted with the standard API: the shard is pinned by its broker connection anyway,
   * so hibernation would save nothing, and with hibernatable sockets local workerd never ends the TCP connection of
   * a socket the gateway closed before it carried a message while the object stays in memory (README
   * "Troubleshooting"). Its events go to its member, one at a time; no listener throws out.
   */
  private accept(server: WebSocket): void {
    // Half-open: the runtime does not answer a charge point's Close by itself (compatibility date 2026-04-07 and
    // later), so the gateway reciprocates with its own code (1000 for a Close without one, RFC 6455 §7.4.1).
    server.accept({ allowHalfOpen: true });
    server.addEventListener("message", (event: MessageEvent) => {
      // Taken before waiting for earlier frames: the rate limit and the silence checks judge when a frame arrived,
      // not when its turn came (a timer's check already queued for this charge point counts it: lifecycle.ts).
      const arrivedAt = Date.now();
      const member = this.memberOf(server);
      if (member === undefined) return;
      const state = stateOf(server);
      if (state !== undefined && state.closing === undefined) frameArrived(state, arrivedAt);
      void member.run("upstream_handler", () => member.frame(server, event.data as string | ArrayBuffer, arrivedAt), undefined);
    });
    server.addEventListener("close", (event: CloseEvent) => {
      const member = this.memberOf(server);
      if (member !== undefined) void member.run("close_handler", () => member.closed(server, event.code, event.reason), undefined);
    });
    server.addEventListener("error", (event: ErrorEvent) => {
      // A charge point that drops its connection (or whose TCP ends after the Close handshake) shows up here: the
      // runtime words it as "Uncaught Error: Network connection lost.", which is no error of the gateway's.
      const state = stateOf(server);
      if (state !== undefined && state.closing === undefined) {
        log("info", "socket_lost", { shard: this.name, cid: state.cid, error: String(event.message ?? "").replace(/^Uncaught /, "") });
      }
      const member = this.memberOf(server);
      if (member !== undefined) void member.run("close_handler", () => member.closed(server, 1006, "socket error"), undefined);
    });
  }

  /** Safety net: the link is kept up and every member's deadlines are checked, whatever became of the timers. */
  override async alarm(): Promise<void> {
    this.watchdogArmed = false;
    try {
      if (this.idleIfDone()) return;
      this.brokerOrThrow().link.start();
      const now = Date.now();
      for (const member of this.members.values()) {
        member.schedule();
        const a = member.socketState();
        if (a !== undefined && this.analytics.tickDue(a, now)) {
          this.analytics.chargePointTick(a, { outbox: this.store.outboxLength(member.cid), queue: this.store.queueLength(member.cid) }, now);
        }
      }
      if (this.broker !== undefined) this.analytics.linkTick(this.broker.status(this.connectedCount()));
    } catch (e) {
      log("error", "shard_alarm_failed", { shard: this.name, error: errorMessage(e) });
    } finally {
      if (!this.idle) this.armWatchdog();
    }
  }

  /** Whether the shard holds nothing and its broker session no filter. */
  private get idle(): boolean {
    return this.members.size === 0 && (this.broker === undefined || this.broker.subscriptions.isEmpty);
  }

  /**
   * Nothing left to relay and no filter left at the broker: the broker connection closes, so the shard is no longer
   * pinned (nor billed). Until the filters are gone the link stays, so that they can be unsubscribed (a persistent
   * session with filters would collect messages for nobody).
   */
  private idleIfDone(): boolean {
    if (!this.idle) return false;
    this.broker?.link.stop();
    return true;
  }

  // ---- management API (RPC) ----

  /** Connected charge points matching `query`: the first `take` in id order, and how many match in all. */
  async clients(name: string, query: ClientQuery): Promise<ClientPage> {
    await this.adoptName(name);
    const found: ClientView[] = [];
    let count = 0;
    const ids = [...this.members.keys()].sort();
    for (const cid of ids) {
      const member = this.members.get(cid) as Member;
      const view = this.view(member);
      if (view === undefined || !matches(member, view.proto_ver, query)) continue;
      count++;
      if (found.length < query.take) found.push(view);
    }
    return { rows: found, count };
  }

  async client(name: string, cid: string): Promise<ClientView | undefined> {
    await this.adoptName(name);
    const member = this.members.get(cid);
    return member === undefined ? undefined : this.view(member);
  }

  /** Whether the shard holds a session for `cid` (connected or away). */
  async holds(name: string, cid: string): Promise<boolean> {
    await this.adoptName(name);
    return this.members.get(cid)?.session !== undefined;
  }

  async kick(name: string, cid: string): Promise<boolean> {
    await this.adoptName(name);
    const member = this.members.get(cid);
    if (member === undefined) return false;
    return member.run("kick", () => member.kick(), false);
  }

  async status(name: string): Promise<LinkStatus> {
    await this.adoptName(name);
    return this.brokerOrThrow().status(this.connectedCount());
  }

  async figures(name: string): Promise<ShardFigures> {
    await this.adoptName(name);
    const byVersion: Record<string, number> = {};
    const sums = { mqueue_len: 0, inflight_cnt: 0, outbox_len: 0, recv_msg: 0, send_msg: 0, malformed: 0, invalid: 0, dropped: 0, call_errors: 0 };
    for (const member of this.members.values()) {
      if (!member.connected) continue;
      const version = protocolBySubprotocol(member.session?.protocol ?? "")?.version ?? "unknown";
      byVersion[version] = (byVersion[version] ?? 0) + 1;
      const s = member.stats();
      for (const k of Object.keys(sums) as (keyof typeof sums)[]) sums[k] += s[k];
    }
    return { byVersion, sums, link: this.brokerOrThrow().status(this.connectedCount()) };
  }

  /**
   * The configuration changed through the management API: routing and filters follow the new downstream topic, and
   * charge points that the new layout places in another shard are closed (1012, `moved`) to reconnect there.
   */
  async reconfigure(name: string, config: GatewayConfig): Promise<boolean> {
    await this.adoptName(name);
    this.current.set(config);
    for (const member of this.members.values()) {
      const placement = member.session?.placement;
      if (placement === undefined || !member.connected) continue;
      const target = shardName(shardAddress(member.cid, regionOf(parsePlacement(placement), config), config));
      if (target !== this.name) await member.run("move", () => member.move(), undefined);
    }
    return true;
  }

  /**
   * Every configuration read (the management API's change, or the cache's re-read): when the downstream topic
   * changed, every charge point's filter on the new topic is subscribed, then the old one dropped.
   */
  private followDownstreamTopic(config: GatewayConfig): void {
    const before = this.downstreamTemplate;
    const now = config.mountpoint + config.dnstream.topic;
    const broker = this.broker;
    if (broker === undefined || before === now) return;
    this.downstreamTemplate = now;
    this.ctx.storage.put(DOWNSTREAM_KEY, now).catch((e: unknown) => log("error", "shard_store_failed", { shard: this.name, error: errorMessage(e) }));
    if (before === undefined) return;
    log("info", "downstream_topic_changed", { shard: this.name, from: before, to: now });
    for (const [cid, member] of this.members) {
      if (member.session === undefined) continue;
      const old = downstreamFilterFor("", before, cid);
      void broker.subscriptions.want(broker.filters(cid, config)).then(() => broker.subscriptions.drop([old]));
    }
  }

  /** `POST /broker/restart`: the link reconnects at once; `fresh` also forgets its in-memory state. */
  async restartLink(name: string, fresh: boolean): Promise<void> {
    await this.adoptName(name);
    // An operator's restart also takes up a configuration written where the shard was not told (KV directly).
    await this.current.get(true).catch((e: unknown) => log("warn", "config_reload_failed", { shard: this.name, error: errorMessage(e) }));
    this.brokerOrThrow().link.restart("restarted through the management API", fresh);
  }

  /** Calls handed over by the shard that held `cid` before it connected here. */
  async adopt(name: string, cid: string, calls: QueuedCall[]): Promise<boolean> {
    await this.adoptName(name);
    const member = this.members.get(cid);
    if (member?.session === undefined) return false;
    return member.run(
      "adopt",
      async () => {
        await member.adopt(calls);
        return true;
      },
      false,
    );
  }

  // ---- inside ----

  /** The shard learns its name from the first request (the Worker addressed it by that name) and keeps it. */
  private async adoptName(name: string): Promise<void> {
    if (this.name === name || name === "") return;
    if (this.name !== "") {
      log("error", "shard_name_mismatch", { shard: this.name, asked: name });
      return;
    }
    this.useName(name);
    await this.ctx.storage.put(NAME_KEY, name);
  }

  private useName(name: string): void {
    this.name = name;
    this.broker = new ShardBroker(this.env, name, this.store, {
      message: (topic, payload, flags) =>
        route(
          {
            name,
            counters: this.brokerOrThrow().link.counters,
            topics: this.brokerOrThrow().topics,
            config: () => this.routingConfig(),
            member: (cid) => this.members.get(cid),
            claimed: (cid, by) => this.claimed(cid, by),
            publish: (topic, payload) => this.brokerOrThrow().link.publish(topic, payload),
          },
          topic,
          payload,
          flags,
        ),
      up: () => {
        for (const member of this.members.values()) {
          void member.run(
            "link_up",
            async () => {
              await member.ensureClaimed();
              await member.flushOutbox();
            },
            undefined,
          );
        }
      },
    });
  }

  private brokerOrThrow(): ShardBroker {
    if (this.broker === undefined) throw new Error("the shard does not know its name yet");
    return this.broker;
  }

  /** The configuration downstream routing and filters follow (the shard's current one). */
  private routingConfig(): Promise<GatewayConfig> {
    return this.current.get();
  }

  /** Members from storage, when the object starts (no socket outlives the object that accepted it). */
  private restore(): void {
    for (const record of this.store.sessions()) this.members.set(record.cid, new Member(record.cid, this.context, record));
    for (const cid of this.store.outboxCids()) if (!this.members.has(cid)) this.members.set(cid, new Member(cid, this.context));
    if (this.members.size === 0) return;
    // Connections storage says are open but whose sockets did not survive: ended as lost, once, now.
    for (const member of this.members.values()) void member.run("settle", () => member.settleLost(), undefined);
    this.broker?.link.start();
    this.armWatchdog();
  }

  private member(cid: string): Member {
    let member = this.members.get(cid);
    if (member === undefined) {
      member = new Member(cid, this.context);
      this.members.set(cid, member);
    }
    return member;
  }

  private memberOf(ws: WebSocket): Member | undefined {
    const cid = stateOf(ws)?.cid;
    const member = cid === undefined ? undefined : this.members.get(cid);
    if (member === undefined) log("warn", "socket_without_member", { shard: this.name, cid });
    return member;
  }

  private forget(cid: string): void {
    const member = this.members.get(cid);
    member?.stop();
    this.members.delete(cid);
    if (this.members.size === 0) {
      this.store.pruneConfigs();
      this.configs.clear();
      this.configIds.clear();
      this.idleIfDone();
    }
  }

  private connectedCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.connected) n++;
    return n;
  }

  private view(member: Member): ClientView | undefined {
    const record = member.session;
    if (!member.connected || record === undefined) return undefined;
    const version = protocolBySubprotocol(record.protocol)?.version ?? record.protocol;
    return { ...clientView(member, this.configById(record.configId), version), shard: this.name };
  }

  private async claimed(cid: string, by: string): Promise<void> {
    const member = this.members.get(cid);
    if (member?.session === undefined) return;
    await member.run("release", () => member.release(by), undefined);
  }

  private async handOver(cid: string, to: string, calls: readonly QueuedCall[]): Promise<boolean> {
    const config = await this.routingConfig();
    const address = parseShardName(to, config);
    if (address === undefined) return false;
    try {
      return await shardStub(this.env, address).adopt(to, cid, [...calls]);
    } catch (e) {
      log("warn", "handover_failed", { shard: this.name, cid, to, error: errorMessage(e) });
      return false;
    }
  }

  private configIdOf(config: GatewayConfig): number {
    const json = JSON.stringify(config);
    let id = this.configIds.get(json);
    if (id === undefined) {
      id = this.store.configId(json);
      this.configIds.set(json, id);
      this.configs.set(id, config);
    }
    return id;
  }

  /** A stored configuration, checked again (and completed from today's defaults) before use; the current one if unusable. */
  private configById(id: number): GatewayConfig {
    const cached = this.configs.get(id);
    if (cached !== undefined) return cached;
    const json = this.store.configJson(id);
    let config: GatewayConfig | undefined;
    if (json !== undefined) {
      const checked = resolveConfig(JSON.parse(json) as unknown);
      if (checked.ok) config = checked.config;
      else log("warn", "stored_config_invalid", { shard: this.name, problems: checked.problems });
    }
    config ??= this.current.peek();
    this.configs.set(id, config);
    return config;
  }

  private armWatchdog(): void {
    if (this.watchdogArmed) return;
    this.watchdogArmed = true;
    this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS).catch((e: unknown) => {
      this.watchdogArmed = false;
      log("error", "shard_watchdog_failed", { shard: this.name, error: errorMessage(e) });
    });
  }
}
