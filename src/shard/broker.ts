/**
 * A shard's side of the broker: its MQTT link (src/link/), the filters its persistent session holds for the charge
 * points it serves, and the claims that move a charge point here from another shard (handover.ts). Publishing is
 * one call on the shard's own connection: no Durable Object RPC per message.
 */
import { DEFAULT_CONFIG, type GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { downstreamFilterFor } from "../mqtt/topics";
import { MqttLink, type LinkSettings } from "../link/mqtt-link";
import { LISTED_FILTERS, type LinkStatus } from "../link/status";
import { Subscriptions } from "../link/subscriptions";
import type { UpstreamLink } from "../session/outbox";
import { claimPayload, ClaimTopics } from "./handover";
import type { ShardStore } from "./store";

/** How long a new charge point's connect waits for the broker to confirm its filters while the link is connecting. */
const SUBSCRIBE_WAIT_MS = 5_000;
/**
 * The same on a connected link: a SUBACK that is late there is late because the shard or the broker is busy (a
 * reconnect storm of charge points new to the shard), not because the broker is away, and a charge point whose
 * frames went out before its filter was live would never see the CSMS's answers to them (no subscriber yet).
 */
const LIVE_SUBSCRIBE_WAIT_MS = 60_000;

/**
 * The client certificate the shard presents to the broker: wrangler.toml's optional
 * `[[mtls_certificates]] binding = "BROKER_MTLS"` (absent from the generated Env, where it is commented out).
 */
function brokerMtls(env: Env): Fetcher | undefined {
  return (env as Partial<Record<"BROKER_MTLS", Fetcher>>).BROKER_MTLS;
}

export function clientIdPrefix(env: Env): string {
  return env.MQTT_CLIENT_ID_PREFIX || "ocpp-gateway";
}

export interface BrokerEvents {
  /** The link is up and the filters are held again: outboxes can be flushed. */
  up(): void;
  message: LinkSettingsMessage;
}
type LinkSettingsMessage = ConstructorParameters<typeof MqttLink>[2]["message"];

export class ShardBroker {
  readonly link: MqttLink;
  readonly subscriptions: Subscriptions;
  readonly topics: ClaimTopics;

  constructor(
    private readonly env: Env,
    readonly name: string,
    store: ShardStore,
    events: BrokerEvents,
  ) {
    const prefix = clientIdPrefix(env);
    this.topics = new ClaimTopics(prefix, name);
    this.link = new MqttLink(name, () => this.settings(), {
      message: events.message,
      up: (_session, sessionPresent) => {
        void this.subscriptions.up(sessionPresent).then(() => events.up());
      },
      down: () => undefined,
    });
    this.subscriptions = new Subscriptions(store.filters(), () => this.link.ready, name);
  }

  private settings(): LinkSettings | Error {
    const url = this.env.MQTT_URL;
    if (!url) return new Error("MQTT_URL is not set");
    const problem = ClaimTopics.problem(this.topics.prefix);
    if (problem !== undefined) return new Error(problem);
    const mtls = brokerMtls(this.env);
    return {
      url,
      clientId: this.clientId(),
      ...(this.env.MQTT_USERNAME ? { username: this.env.MQTT_USERNAME } : {}),
      ...(this.env.MQTT_PASSWORD ? { password: this.env.MQTT_PASSWORD } : {}),
      ...(mtls === undefined ? {} : { mtls }),
      handshakeFilters: [this.topics.control()],
    };
  }

  /** One fixed client id per shard, so its persistent session survives reconnects and restarts. */
  clientId(): string {
    return `${this.topics.prefix}-${this.name.replace("/", "-")}`;
  }

  /** The shard's publishing, as each charge point's outbox sees it. */
  upstream(): UpstreamLink {
    return {
      publish: (topic, payload, retain) => this.link.publish(topic, payload, retain),
      isReady: async () => this.link.ready !== undefined,
    };
  }

  /** The filters a charge point needs: its downstream topic (the shard's current template) and its claims topic. */
  filters(cid: string, config: GatewayConfig = DEFAULT_CONFIG): string[] {
    return [downstreamFilterFor(config.mountpoint, config.dnstream.topic, cid), this.topics.claimTopic(cid)];
  }

  /**
   * Makes the broker session hold a charge point's filters; false when not confirmed within SUBSCRIBE_WAIT_MS. While
   * the link is connecting the wait covers the connection too (commands published right after the charge point
   * connected must not meet a broker with no subscriber for them); while it waits to retry after a failure, the
   * filters are recorded and subscribed when it is back, and the connect does not wait.
   */
  async subscribe(cid: string, config: GatewayConfig): Promise<boolean> {
    this.link.start();
    const wanted = this.filters(cid, config);
    if (this.link.state === "waiting") return this.subscriptions.want(wanted);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waitMs = this.link.ready === undefined ? SUBSCRIBE_WAIT_MS : LIVE_SUBSCRIBE_WAIT_MS;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
    const done = this.link.ready === undefined ? this.whenUp().then(() => this.subscriptions.want(wanted)) : this.subscriptions.want(wanted);
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  unsubscribe(cid: string, config: GatewayConfig): Promise<void> {
    return this.subscriptions.drop(this.filters(cid, config)).catch((e: unknown) => log("warn", "unsubscribe_failed", { cid, error: errorMessage(e) }));
  }

  /**
   * Publishes this shard's claim on a charge point (QoS 1) when the link is up; false when it could not (the member
   * keeps it as unclaimed and claims again when the link is back). A shard that held the charge point before
   * receives the claim whenever its own session next runs: the claims filter is persistent.
   */
  async claim(cid: string): Promise<boolean> {
    if (this.link.ready === undefined) return false;
    try {
      await this.link.publish(this.topics.claimTopic(cid), claimPayload(this.name, Date.now()));
      return true;
    } catch (e) {
      log("warn", "claim_failed", { shard: this.name, cid, error: errorMessage(e) });
      return false;
    }
  }

  status(attached: number): LinkStatus {
    return {
      shard: this.name,
      state: this.link.state,
      clientId: this.clientId(),
      transport: this.link.transportKind(),
      subscriptions: this.subscriptions.count,
      filters: this.subscriptions.list(LISTED_FILTERS, (f) => this.topics.cidOfClaim(f) === undefined),
      attached,
      ...this.link.counters,
      ...(this.link.lastError === undefined ? {} : { lastError: this.link.lastError }),
    };
  }

  private whenUp(): Promise<void> {
    return this.link.whenReady().then(
      () => undefined,
      () => undefined,
    );
  }
}
