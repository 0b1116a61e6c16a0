/**
 * The filters a shard's persistent MQTT session holds: one downstream filter and one claims filter per charge point
 * the shard has a session for (shard/README in docs/shards.md). A persistent session keeps every filter it was given
 * until it is unsubscribed, across reconnects (MQTT 3.1.1 §3.1.2.4, §3.10), so the shard keeps the list in its own
 * storage, written BEFORE a filter is subscribed (an eviction must not forget a filter the broker may hold) and
 * marked live once the broker confirmed it. A reconnect that resumes the session (session present) costs no
 * SUBSCRIBE; one that does not subscribes every filter again, in packets of up to FILTERS_PER_PACKET.
 *
 * Filters wanted in the same turn go out in one SUBSCRIBE: a reconnect storm of new charge points costs one packet
 * per turn, not one per charge point.
 */
import { errorMessage, log } from "../log";
import type { MqttSession } from "../mqtt/session";

/** Filters per SUBSCRIBE or UNSUBSCRIBE packet (brokers take far more; this keeps each packet small). */
export const FILTERS_PER_PACKET = 100;

export type FilterState = "pending" | "live" | "leaving";

/** The shard's table of filters (SQLite in the shard; a map in unit tests). */
export interface FilterStore {
  load(): Map<string, FilterState>;
  set(filters: readonly string[], state: FilterState): void;
  remove(filters: readonly string[]): void;
}

interface Batch {
  readonly filters: Set<string>;
  readonly done: Promise<boolean>;
}

export class Subscriptions {
  private readonly states: Map<string, FilterState>;
  private batch: (Batch & { resolve(ok: boolean): void }) | undefined;
  /** Changes on the live session run one at a time, in order. */
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: FilterStore,
    /** The live session, when the link is up. */
    private readonly session: () => MqttSession | undefined,
    private readonly name: string,
  ) {
    this.states = store.load();
  }

  /** Whether the broker session may hold no filter of the shard's (nothing subscribed, nothing left to unsubscribe). */
  get isEmpty(): boolean {
    return this.states.size === 0;
  }

  get count(): number {
    let n = 0;
    for (const state of this.states.values()) if (state !== "leaving") n++;
    return n;
  }

  /** Filters held (or being subscribed), for the status; at most `max`. */
  list(max: number, accept: (filter: string) => boolean = () => true): string[] {
    const out: string[] = [];
    for (const [filter, state] of this.states) {
      if (state === "leaving" || !accept(filter)) continue;
      out.push(filter);
      if (out.length >= max) break;
    }
    return out;
  }

  isHeld(filter: string): boolean {
    const state = this.states.get(filter);
    return state === "live" || state === "pending";
  }

  /**
   * Makes sure the broker's session holds `filters`: true at once for live ones; otherwise they are recorded and
   * subscribed with whatever else is wanted in this turn, and true once the broker confirmed them. False when the
   * link is down or the broker did not confirm (they stay recorded and go out when the link is next up).
   */
  want(filters: readonly string[]): Promise<boolean> {
    const missing = filters.filter((f) => this.states.get(f) !== "live");
    if (missing.length === 0) return Promise.resolve(true);
    const fresh = missing.filter((f) => this.states.get(f) !== "pending");
    if (fresh.length > 0) {
      this.store.set(fresh, "pending");
      for (const f of fresh) this.states.set(f, "pending");
    }
    if (this.session() === undefined) return Promise.resolve(false);
    if (this.batch === undefined) {
      let resolve!: (ok: boolean) => void;
      const done = new Promise<boolean>((r) => (resolve = r));
      const batch = { filters: new Set<string>(), done, resolve };
      this.batch = batch;
      queueMicrotask(() => {
        this.batch = undefined;
        void this.serial(() => this.subscribe([...batch.filters])).then(batch.resolve, () => batch.resolve(false));
      });
    }
    for (const f of missing) this.batch.filters.add(f);
    return this.batch.done;
  }

  /** The broker's session no longer needs `filters` (the charge point's session ended or moved). */
  drop(filters: readonly string[]): Promise<void> {
    const held = filters.filter((f) => this.states.has(f));
    if (held.length === 0) return Promise.resolve();
    this.store.set(held, "leaving");
    for (const f of held) this.states.set(f, "leaving");
    return this.serial(() => this.unsubscribe(held)).then(() => undefined);
  }

  /**
   * The link is up. A resumed session still holds the live filters; otherwise (a new or discarded session) every
   * filter is subscribed again. Pending filters go out either way, and filters on their way out are unsubscribed.
   */
  up(sessionPresent: boolean): Promise<void> {
    if (!sessionPresent) {
      const wasLive = [...this.states].filter(([, s]) => s === "live").map(([f]) => f);
      const leaving = [...this.states].filter(([, s]) => s === "leaving").map(([f]) => f);
      // A new session holds nothing: what was leaving is gone, what was live must be subscribed again.
      if (leaving.length > 0) {
        this.store.remove(leaving);
        for (const f of leaving) this.states.delete(f);
      }
      if (wasLive.length > 0) {
        this.store.set(wasLive, "pending");
        for (const f of wasLive) this.states.set(f, "pending");
      }
    }
    const pending = [...this.states].filter(([, s]) => s === "pending").map(([f]) => f);
    const leaving = [...this.states].filter(([, s]) => s === "leaving").map(([f]) => f);
    return this.serial(async () => {
      if (pending.length > 0) await this.subscribe(pending);
      if (leaving.length > 0) await this.unsubscribe(leaving);
    }).then(() => undefined);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.work.then(task, task);
    this.work = next.catch(() => undefined);
    return next;
  }

  private async subscribe(filters: readonly string[]): Promise<boolean> {
    let ok = true;
    for (let i = 0; i < filters.length; i += FILTERS_PER_PACKET) {
      const part = filters.slice(i, i + FILTERS_PER_PACKET).filter((f) => this.states.get(f) === "pending");
      if (part.length === 0) continue;
      const session = this.session();
      if (session === undefined) return false;
      try {
        await session.subscribe(part);
      } catch (e) {
        log("warn", "link_subscription_failed", { link: this.name, filters: part.length, error: errorMessage(e) });
        ok = false;
        continue;
      }
      const confirmed = part.filter((f) => this.states.get(f) === "pending");
      this.store.set(confirmed, "live");
      for (const f of confirmed) this.states.set(f, "live");
    }
    return ok;
  }

  private async unsubscribe(filters: readonly string[]): Promise<boolean> {
    for (let i = 0; i < filters.length; i += FILTERS_PER_PACKET) {
      const part = filters.slice(i, i + FILTERS_PER_PACKET).filter((f) => this.states.get(f) === "leaving");
      if (part.length === 0) continue;
      const session = this.session();
      // Left as `leaving`: the next connection unsubscribes them.
      if (session === undefined) return false;
      try {
        await session.unsubscribe(part);
      } catch (e) {
        log("warn", "link_unsubscribe_failed", { link: this.name, filters: part.length, error: errorMessage(e) });
        return false;
      }
      const gone = part.filter((f) => this.states.get(f) === "leaving");
      this.store.remove(gone);
      for (const f of gone) this.states.delete(f);
    }
    return true;
  }
}
