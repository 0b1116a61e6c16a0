/**
 * The broker link's downstream subscription. A persistent MQTT session keeps every filter it was ever given until
 * it is unsubscribed, across reconnects (MQTT 3.1.1 §3.1.2.4, §3.10): a link that only ever subscribed would keep
 * receiving — and, with an overlapping filter, receiving twice — on topics of earlier configurations, and a
 * mistaken downstream topic would outlive its correction. So the filters that may be in the broker's session are
 * kept in the object's storage (an eviction must not forget them), written BEFORE a filter is subscribed, and every
 * filter other than the current one is unsubscribed on the live session and after each reconnect.
 */
import { errorMessage, log } from "../log";
import type { MqttSession } from "../mqtt/session";

/** Storage key: filters that may be subscribed in the broker's session for this link's client id. */
const FILTERS_KEY = "filters";

export class LinkSubscriptions {
  /** Filters subscribed on the current connection (its handshake's and later ones, less those unsubscribed). */
  private live = new Set<string>();
  /** Changes run one at a time, in order. */
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly shard: () => number,
  ) {}


  /**
   * A new connection is about to subscribe `filters` in its handshake (none for a clean session that only
   * discards the broker's state). Records them as possibly subscribed first.
   */
  async beforeConnect(filters: readonly string[], clean: boolean): Promise<void> {
    this.live = new Set(filters);
    // A clean session starts with no subscriptions at the broker (MQTT 3.1.1 §3.1.2.4).
    const known = clean ? [] : await this.known();
    const all = [...new Set([...known, ...filters])];
    if (clean || all.length !== known.length) await this.storage.put(FILTERS_KEY, all);
  }

  /**
   * Makes `want` the only subscribed filter on `session`: subscribes it when this connection has not, then
   * unsubscribes every other filter the broker may hold. False when the broker did not confirm a step (the session
   * is then usually gone; the next connection tries again).
   */
  sync(session: MqttSession, want: string): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      if (!session.isReady) return false;
      try {
        if (!this.live.has(want)) {
          const known = await this.known();
          if (!known.includes(want)) await this.storage.put(FILTERS_KEY, [...known, want]);
          await session.subscribe([want]);
          this.live.add(want);
          log("info", "link_subscribed", { shard: this.shard(), filter: want });
        }
        const known = await this.known();
        const stale = known.filter((f) => f !== want);
        if (stale.length > 0) {
          await session.unsubscribe(stale);
          for (const f of stale) this.live.delete(f);
          log("info", "link_unsubscribed", { shard: this.shard(), filters: stale });
        }
        if (stale.length > 0 || !known.includes(want)) await this.storage.put(FILTERS_KEY, [want]);
        return true;
      } catch (e) {
        log("warn", "link_subscription_failed", { shard: this.shard(), filter: want, error: errorMessage(e) });
        return false;
      }
    };
    const next = this.work.then(run, run);
    this.work = next;
    return next;
  }

  /** Filters the broker's session may hold for this link: subscribed, and not (yet) confirmed unsubscribed. */
  async known(): Promise<string[]> {
    return (await this.storage.get<string[]>(FILTERS_KEY)) ?? [];
  }
}
