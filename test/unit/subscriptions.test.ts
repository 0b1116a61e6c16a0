// The filters a shard's persistent MQTT session holds (src/link/subscriptions.ts), against a fake session (which
// records SUBSCRIBE and UNSUBSCRIBE packets) and a map in place of the shard's filters table.
import { describe, expect, it } from "vitest";
import type { MqttSession } from "../../src/mqtt/session";
import { FILTERS_PER_PACKET, Subscriptions, type FilterState, type FilterStore } from "../../src/link/subscriptions";

class MapFilterStore implements FilterStore {
  readonly rows = new Map<string, FilterState>();
  load(): Map<string, FilterState> {
    return new Map(this.rows);
  }
  set(filters: readonly string[], state: FilterState): void {
    for (const f of filters) this.rows.set(f, state);
  }
  remove(filters: readonly string[]): void {
    for (const f of filters) this.rows.delete(f);
  }
}

interface Packet {
  readonly kind: "subscribe" | "unsubscribe";
  readonly filters: readonly string[];
  /** The stored state of each filter when the packet went out. */
  readonly stored: readonly (FilterState | undefined)[];
}

/**
 * The part of MqttSession that Subscriptions uses. `refuse` makes acknowledgements fail; `hold` keeps them back
 * until `release()` (a packet on its way).
 */
class FakeSession {
  readonly packets: Packet[] = [];
  refuse = false;
  hold = false;
  private held: (() => void)[] = [];
  constructor(private readonly store: MapFilterStore) {}
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  subscribe(filters: readonly string[]): Promise<void> {
    return this.record("subscribe", filters);
  }
  unsubscribe(filters: readonly string[]): Promise<void> {
    return this.record("unsubscribe", filters);
  }
  private async record(kind: Packet["kind"], filters: readonly string[]): Promise<void> {
    this.packets.push({ kind, filters: [...filters], stored: filters.map((f) => this.store.rows.get(f)) });
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    else await Promise.resolve();
    if (this.refuse) throw new Error("no SUBACK within 10000 ms");
  }
}

function setup(store = new MapFilterStore()) {
  const session = new FakeSession(store);
  let up = true;
  const subs = new Subscriptions(store, () => (up ? (session as unknown as MqttSession) : undefined), "test/0");
  return {
    store,
    session,
    subs,
    link: (value: boolean) => (up = value),
    packets: (kind: Packet["kind"]) => session.packets.filter((p) => p.kind === kind).map((p) => p.filters),
  };
}

/** Lets queued microtasks and promise chains run. */
const settle = () => new Promise((r) => setTimeout(r, 0));
const filtersOf = (cid: string) => [`ocpp/cs/${cid}`, `gw/claims/${cid}`];

describe("Subscriptions", () => {
  it("filters wanted in the same turn go out in one SUBSCRIBE, each caller told once the broker confirmed", async () => {
    const t = setup();
    const wanted = ["a", "b", "c"].map((cid) => t.subs.want(filtersOf(cid)));
    expect(t.session.packets).toEqual([]);
    expect(await Promise.all(wanted)).toEqual([true, true, true]);
    expect(t.packets("subscribe")).toEqual([[...filtersOf("a"), ...filtersOf("b"), ...filtersOf("c")]]);
    expect([...t.store.rows.values()].every((s) => s === "live")).toBe(true);
    expect(t.subs.count).toBe(6);
    // Filters held already cost nothing.
    expect(await t.subs.want(filtersOf("b"))).toBe(true);
    expect(t.session.packets).toHaveLength(1);
  });

  it("records a filter before it is subscribed (an eviction must not forget one the broker may hold)", async () => {
    const t = setup();
    await t.subs.want(filtersOf("a"));
    expect(t.session.packets[0]?.stored).toEqual(["pending", "pending"]);
  });

  it(`a turn with more than ${FILTERS_PER_PACKET} filters is split into packets of ${FILTERS_PER_PACKET}`, async () => {
    const t = setup();
    const cids = Array.from({ length: 120 }, (_, i) => `cp-${i}`);
    expect((await Promise.all(cids.map((cid) => t.subs.want(filtersOf(cid))))).every(Boolean)).toBe(true);
    expect(t.packets("subscribe").map((p) => p.length)).toEqual([100, 100, 40]);
    expect(new Set(t.packets("subscribe").flat()).size).toBe(240);
  });

  it("a resumed session (session present) costs no SUBSCRIBE; a new one subscribes every filter again", async () => {
    const t = setup();
    await Promise.all(["a", "b"].map((cid) => t.subs.want(filtersOf(cid))));
    t.session.packets.length = 0;
    await t.subs.up(true);
    expect(t.session.packets).toEqual([]);
    await t.subs.up(false);
    expect(t.packets("subscribe")).toEqual([[...filtersOf("a"), ...filtersOf("b")]]);
    expect([...t.store.rows.values()]).toEqual(["live", "live", "live", "live"]);
  });

  it("the filters survive a restart in the store: a new instance resumes without SUBSCRIBE, or resubscribes a new session", async () => {
    const first = setup();
    await first.subs.want(filtersOf("a"));
    const again = setup(first.store);
    expect(again.subs.count).toBe(2);
    expect(again.subs.isHeld("ocpp/cs/a")).toBe(true);
    await again.subs.up(true);
    expect(again.session.packets).toEqual([]);
    await again.subs.up(false);
    expect(again.packets("subscribe")).toEqual([filtersOf("a")]);
  });

  it("drop: UNSUBSCRIBE, and the filter is gone from the store", async () => {
    const t = setup();
    await Promise.all(["a", "b"].map((cid) => t.subs.want(filtersOf(cid))));
    await t.subs.drop(filtersOf("a"));
    expect(t.packets("unsubscribe")).toEqual([filtersOf("a")]);
    expect([...t.store.rows.keys()]).toEqual(filtersOf("b"));
    expect(t.subs.count).toBe(2);
    // Dropping what is not held sends nothing.
    await t.subs.drop(filtersOf("zzz"));
    expect(t.packets("unsubscribe")).toHaveLength(1);
  });

  it("a drop while the link is down is remembered and unsubscribed at the next connection that resumes the session", async () => {
    const t = setup();
    await t.subs.want(filtersOf("a"));
    t.link(false);
    await t.subs.drop(filtersOf("a"));
    expect(t.packets("unsubscribe")).toEqual([]);
    expect([...t.store.rows.values()]).toEqual(["leaving", "leaving"]);
    // Not counted, not listed; but the shard is not idle until the broker let go of them.
    expect(t.subs.count).toBe(0);
    expect(t.subs.list(10)).toEqual([]);
    expect(t.subs.isEmpty).toBe(false);
    t.link(true);
    await t.subs.up(true);
    expect(t.packets("unsubscribe")).toEqual([filtersOf("a")]);
    expect(t.store.rows.size).toBe(0);
    expect(t.subs.isEmpty).toBe(true);
  });

  it("a new session holds nothing: filters dropped while the link was down are forgotten without UNSUBSCRIBE", async () => {
    const t = setup();
    await Promise.all(["a", "b"].map((cid) => t.subs.want(filtersOf(cid))));
    t.link(false);
    await t.subs.drop(filtersOf("a"));
    t.link(true);
    t.session.packets.length = 0;
    await t.subs.up(false);
    expect(t.packets("unsubscribe")).toEqual([]);
    expect(t.packets("subscribe")).toEqual([filtersOf("b")]);
    expect([...t.store.rows.keys()]).toEqual(filtersOf("b"));
  });

  it("wanted while the link is down: false now, recorded, and subscribed when the link is up", async () => {
    const t = setup();
    t.link(false);
    expect(await t.subs.want(filtersOf("a"))).toBe(false);
    expect([...t.store.rows.values()]).toEqual(["pending", "pending"]);
    t.link(true);
    await t.subs.up(true);
    expect(t.packets("subscribe")).toEqual([filtersOf("a")]);
    expect([...t.store.rows.values()]).toEqual(["live", "live"]);
  });

  it("a SUBSCRIBE the broker does not confirm: false, the filters stay pending and go out again at the next connection", async () => {
    const t = setup();
    t.session.refuse = true;
    expect(await t.subs.want(filtersOf("a"))).toBe(false);
    expect([...t.store.rows.values()]).toEqual(["pending", "pending"]);
    t.session.refuse = false;
    await t.subs.up(true);
    expect(t.packets("subscribe")).toEqual([filtersOf("a"), filtersOf("a")]);
    expect([...t.store.rows.values()]).toEqual(["live", "live"]);
  });

  it("a filter dropped while its SUBSCRIBE is on the way is not marked live, and is unsubscribed after", async () => {
    const t = setup();
    t.session.hold = true;
    const wanted = t.subs.want(filtersOf("a"));
    await settle();
    expect(t.packets("subscribe")).toEqual([filtersOf("a")]);
    const dropped = t.subs.drop(filtersOf("a"));
    t.session.hold = false;
    t.session.release();
    await Promise.all([wanted, dropped]);
    expect(t.session.packets.map((p) => p.kind)).toEqual(["subscribe", "unsubscribe"]);
    expect(t.store.rows.size).toBe(0);
  });

  it("a filter wanted again while its UNSUBSCRIBE is on the way is subscribed again after it", async () => {
    const t = setup();
    await t.subs.want(filtersOf("a"));
    t.session.hold = true;
    const dropped = t.subs.drop(filtersOf("a"));
    await settle();
    expect(t.packets("unsubscribe")).toEqual([filtersOf("a")]);
    const wanted = t.subs.want(filtersOf("a"));
    t.session.hold = false;
    t.session.release();
    await dropped;
    expect(await wanted).toBe(true);
    expect(t.session.packets.map((p) => p.kind)).toEqual(["subscribe", "unsubscribe", "subscribe"]);
    expect([...t.store.rows.values()]).toEqual(["live", "live"]);
  });

  it("list: held downstream filters only, at most as many as asked", async () => {
    const t = setup();
    await Promise.all(["a", "b", "c"].map((cid) => t.subs.want(filtersOf(cid))));
    expect(t.subs.list(2, (f) => f.startsWith("ocpp/"))).toEqual(["ocpp/cs/a", "ocpp/cs/b"]);
  });
});
