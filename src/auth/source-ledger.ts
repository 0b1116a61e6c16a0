/**
 * The ledger of ONE source address, kept by the LoginGuard named after it (rules: src/auth/throttle.ts): its recent
 * failures per credential, PAIR_FAILURE_LIMIT per credential and SOURCE_FAILURE_LIMIT in all. The stored state is
 * bounded by the second limit (an attempt over it is refused before it can fail). No clock or storage of its own.
 */
import { FAILURE_WINDOW_MS, isTimes, PAIR_FAILURE_LIMIT, refusal, SOURCE_FAILURE_LIMIT, Tickets, within, type Admission, type Outcome } from "./throttle";

export interface SourceState {
  /** Credential (a LoginGuard name) → times of this source's recent failures on it, oldest first. */
  readonly failures: Record<string, number[]>;
}

export const EMPTY_SOURCE: SourceState = { failures: {} };

/** Stored state, validated on read (anything else starts empty). */
export function parseSourceState(value: unknown): SourceState {
  if (typeof value !== "object" || value === null) return EMPTY_SOURCE;
  const { failures } = value as Record<string, unknown>;
  if (typeof failures !== "object" || failures === null) return EMPTY_SOURCE;
  return { failures: Object.fromEntries(Object.entries(failures).filter((e): e is [string, number[]] => isTimes(e[1]) && e[1].length > 0)) };
}

interface Attempt {
  readonly credential: string;
}

export class SourceLedger {
  private readonly failures: Map<string, number[]>;
  private readonly tickets = new Tickets<Attempt>();

  constructor(
    state: SourceState,
    private readonly now: () => number,
  ) {
    this.failures = new Map(Object.entries(state.failures));
  }

  /** Whether an attempt on `credential` from this source may check a password now. */
  admit(credential: string): Admission {
    const now = this.now();
    const pair = within(this.failures.get(credential), FAILURE_WINDOW_MS, now);
    const pairPending = this.tickets.count(now, (t) => t.credential === credential);
    const refused = refusal(pair, pairPending, PAIR_FAILURE_LIMIT, FAILURE_WINDOW_MS, now, "too_many_failed_logins");
    if (refused !== undefined) return refused;
    const all = [...this.failures.values()].flatMap((times) => within(times, FAILURE_WINDOW_MS, now)).sort((a, b) => a - b);
    const allRefused = refusal(all, this.tickets.count(now, () => true), SOURCE_FAILURE_LIMIT, FAILURE_WINDOW_MS, now, "too_many_failed_logins");
    if (allRefused !== undefined) return allRefused;
    return { admitted: true, ticket: this.tickets.add({ credential }, now), known: false };
  }

  /** Ends an admitted attempt; true when the state to persist changed. */
  finish(ticketId: string, outcome: Outcome): boolean {
    const attempt = this.tickets.take(ticketId);
    if (attempt === undefined) return false;
    const now = this.now();
    const changed = this.expire();
    if (outcome === "failed") {
      this.failures.set(attempt.credential, [...within(this.failures.get(attempt.credential), FAILURE_WINDOW_MS, now), now].slice(-PAIR_FAILURE_LIMIT));
      return true;
    }
    // Whoever succeeded knows the password: its earlier failures on that credential were typos, not guesses.
    if (outcome === "succeeded" && this.failures.delete(attempt.credential)) return true;
    return changed;
  }

  /** Drops what no longer counts; true when something was dropped. */
  expire(): boolean {
    const now = this.now();
    let changed = false;
    for (const [credential, times] of this.failures) {
      const recent = within(times, FAILURE_WINDOW_MS, now);
      if (recent.length === times.length) continue;
      changed = true;
      if (recent.length === 0) this.failures.delete(credential);
      else this.failures.set(credential, recent);
    }
    return changed;
  }

  /** When the stored state next loses something (null: it holds nothing). */
  nextExpiry(): number | null {
    const ends = [...this.failures.values()].map((times) => Math.max(...times) + FAILURE_WINDOW_MS);
    return ends.length === 0 ? null : Math.min(...ends);
  }

  snapshot(): SourceState {
    return { failures: Object.fromEntries(this.failures) };
  }

  isEmpty(): boolean {
    return this.failures.size === 0;
  }
}
