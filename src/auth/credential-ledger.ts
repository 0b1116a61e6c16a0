/**
 * The ledger of ONE credential (a user, or the admin key), kept by the LoginGuard named after it (rules:
 * src/auth/throttle.ts): its known sources with their own failures, its recent successful logins (in memory: they
 * bound a reconnect loop, and an evicted object forgets at most a minute of them), and when it was last written
 * through the management API (for REWRITE_HOLD_MS). No clock or storage of its own.
 */
import {
  FAILURE_WINDOW_MS,
  isTimes,
  KNOWN_SOURCE_MS,
  LOGIN_WINDOW_MS,
  MAX_KNOWN_SOURCES,
  PAIR_FAILURE_LIMIT,
  refusal,
  REWRITE_HOLD_MS,
  Tickets,
  within,
  type Admission,
  type Outcome,
} from "./throttle";

export interface CredentialState {
  /** Source key → time of its last successful login. */
  readonly known: Record<string, number>;
  /** Known source key → times of its recent failures, oldest first. */
  readonly failures: Record<string, number[]>;
  /** When the credential was last written through the management API. */
  readonly changed?: number;
}

/** A known source's last success is rewritten at most this often (a storage write each time). */
const KNOWN_REFRESH_MS = 24 * 3600_000;

export const EMPTY_CREDENTIAL: CredentialState = { known: {}, failures: {} };

/** Stored state, validated on read (anything else starts empty). */
export function parseCredentialState(value: unknown): CredentialState {
  if (typeof value !== "object" || value === null) return EMPTY_CREDENTIAL;
  const { known, failures, changed } = value as Record<string, unknown>;
  if (typeof known !== "object" || known === null || typeof failures !== "object" || failures === null) return EMPTY_CREDENTIAL;
  const k = Object.entries(known).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
  const sources = new Set(k.map(([source]) => source));
  // Only known sources have failures here (an earlier version also kept a bucket `*` for all other sources).
  const f = Object.entries(failures).filter((e): e is [string, number[]] => sources.has(e[0]) && isTimes(e[1]) && e[1].length > 0);
  return {
    known: Object.fromEntries(k),
    failures: Object.fromEntries(f),
    ...(typeof changed === "number" && Number.isFinite(changed) ? { changed } : {}),
  };
}

interface Attempt {
  readonly source: string;
  readonly known: boolean;
}

export class CredentialLedger {
  private readonly known: Map<string, number>;
  private readonly failures: Map<string, number[]>;
  private changed: number | undefined;
  private successes: number[] = [];
  private readonly tickets = new Tickets<Attempt>();

  constructor(
    state: CredentialState,
    private readonly now: () => number,
  ) {
    this.known = new Map(Object.entries(state.known));
    this.failures = new Map(Object.entries(state.failures));
    this.changed = state.changed;
  }

  private isKnown(source: string, now: number): boolean {
    const at = this.known.get(source);
    return at !== undefined && now - at < KNOWN_SOURCE_MS;
  }

  /**
   * Whether an attempt from `source` may check a password now. `loginsPerMinute` bounds successful logins (null:
   * no bound, for the admin key, whose check costs no hashing budget).
   */
  admit(source: string, loginsPerMinute: number | null): Admission {
    const now = this.now();
    if (loginsPerMinute !== null) {
      this.successes = within(this.successes, LOGIN_WINDOW_MS, now);
      const pending = this.tickets.count(now, (t) => t.source === source);
      const refused = refusal(this.successes, pending, loginsPerMinute, LOGIN_WINDOW_MS, now, "too_many_logins");
      if (refused !== undefined) return refused;
    }
    const known = this.isKnown(source, now);
    if (known) {
      const pending = this.tickets.count(now, (t) => t.known && t.source === source);
      const refused = refusal(within(this.failures.get(source), FAILURE_WINDOW_MS, now), pending, PAIR_FAILURE_LIMIT, FAILURE_WINDOW_MS, now, "too_many_failed_logins");
      if (refused !== undefined) return refused;
    }
    return { admitted: true, ticket: this.tickets.add({ source, known }, now), known };
  }

  /** Ends an admitted attempt; true when the state to persist changed. */
  finish(ticketId: string, outcome: Outcome): boolean {
    const attempt = this.tickets.take(ticketId);
    if (attempt === undefined) return false;
    const now = this.now();
    let changed = this.expire();
    if (outcome === "failed") {
      // A failure from an unknown source is counted by its address's guard only.
      if (!attempt.known) return changed;
      this.failures.set(attempt.source, [...within(this.failures.get(attempt.source), FAILURE_WINDOW_MS, now), now].slice(-PAIR_FAILURE_LIMIT));
      return true;
    }
    if (outcome === "succeeded") {
      this.successes.push(now);
      const last = this.known.get(attempt.source);
      if (last === undefined || now - last >= KNOWN_REFRESH_MS) {
        this.known.set(attempt.source, now);
        changed = true;
      }
      if (this.failures.delete(attempt.source)) changed = true;
      const oldest = [...this.known.entries()].sort((a, b) => b[1] - a[1]).slice(MAX_KNOWN_SOURCES);
      for (const [source] of oldest) {
        this.known.delete(source);
        this.failures.delete(source);
      }
      if (oldest.length > 0) changed = true;
    }
    return changed;
  }

  /** Records that the credential was written through the management API (see REWRITE_HOLD_MS). */
  markChanged(): void {
    this.changed = this.now();
  }

  /** Whether a login may rewrite the credential's record now: no write through the API within REWRITE_HOLD_MS. */
  mayRewrite(): boolean {
    return this.changed === undefined || this.now() - this.changed >= REWRITE_HOLD_MS;
  }

  /** Drops what no longer counts; true when something was dropped. */
  expire(): boolean {
    const now = this.now();
    let changed = false;
    for (const [source, at] of this.known) {
      if (now - at < KNOWN_SOURCE_MS) continue;
      this.known.delete(source);
      this.failures.delete(source);
      changed = true;
    }
    for (const [source, times] of this.failures) {
      const recent = within(times, FAILURE_WINDOW_MS, now);
      if (recent.length === times.length) continue;
      changed = true;
      if (recent.length === 0) this.failures.delete(source);
      else this.failures.set(source, recent);
    }
    if (this.changed !== undefined && now - this.changed >= REWRITE_HOLD_MS) {
      this.changed = undefined;
      changed = true;
    }
    return changed;
  }

  /** When the stored state next loses something (null: it holds nothing). */
  nextExpiry(): number | null {
    const ends = [
      ...[...this.known.values()].map((at) => at + KNOWN_SOURCE_MS),
      ...[...this.failures.values()].map((times) => Math.max(...times) + FAILURE_WINDOW_MS),
      ...(this.changed === undefined ? [] : [this.changed + REWRITE_HOLD_MS]),
    ];
    return ends.length === 0 ? null : Math.min(...ends);
  }

  snapshot(): CredentialState {
    return {
      known: Object.fromEntries(this.known),
      failures: Object.fromEntries(this.failures),
      ...(this.changed === undefined ? {} : { changed: this.changed }),
    };
  }

  isEmpty(): boolean {
    return this.known.size === 0 && this.failures.size === 0 && this.changed === undefined;
  }
}
