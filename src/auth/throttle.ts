/**
 * Failed-login accounting for one credential (a user id, or the admin key) or one source address, without a clock or
 * storage of its own (the LoginGuard object persists its state). Rules:
 *
 * - A credential allows `limit` failures per FAILURE_WINDOW_MS from the sources that do not know it, taken
 *   together, and the same again from each source that logged in with it successfully in the last
 *   KNOWN_SOURCE_MS ("known sources", at most MAX_KNOWN_SOURCES, the most recent). So an attacker who uses up the
 *   budget locks out only unknown sources; the charger itself, logging in from where it did before, still gets in
 *   with its password. A known source that fails `limit` times locks only itself.
 * - A source address allows `limit` failures per window across every credential (the LoginGuard named after the
 *   source is asked with `source` null, i.e. everything in one bucket).
 * - Every admitted attempt counts as a failure until it is finished, so parallel guesses cannot all pass the check
 *   before the first failure is written. An attempt never finished (its Worker died) stops counting after TICKET_MS.
 *
 * This is the "known device" defence against lock-out (OWASP Authentication Cheat Sheet, account lockout;
 * NIST SP 800-63B §5.2.2 rate limiting), with the source address as the device.
 */

export const FAILURE_WINDOW_MS = 15 * 60_000;
/** Failures per credential per window, from unknown sources together and from each known source. */
export const CREDENTIAL_FAILURE_LIMIT = 5;
/** Failures per source address per window, across credentials. */
export const SOURCE_FAILURE_LIMIT = 20;
export const KNOWN_SOURCE_MS = 30 * 24 * 3600_000;
export const MAX_KNOWN_SOURCES = 16;
/** A known source's last success is rewritten at most this often (a storage row each time). */
const KNOWN_REFRESH_MS = 24 * 3600_000;
const TICKET_MS = 30_000;
/** The bucket of every source that is not a known source. */
const UNKNOWN = "*";

export interface GuardState {
  /** Source key → time of its last successful login. */
  readonly known: Record<string, number>;
  /** Bucket (a known source's key, or `*`) → times of recent failures, oldest first. */
  readonly failures: Record<string, number[]>;
}

export type Admission =
  | { readonly admitted: true; readonly ticket: string; readonly known: boolean }
  | { readonly admitted: false; readonly retryAfter: number };

export type Outcome = "succeeded" | "failed" | "released";

interface Ticket {
  readonly bucket: string;
  readonly source: string | null;
  readonly limit: number;
  readonly expires: number;
}

function isTimes(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((t) => typeof t === "number" && Number.isFinite(t));
}

/** Stored state, validated on read (anything else starts empty). */
export function parseGuardState(value: unknown): GuardState {
  const empty: GuardState = { known: {}, failures: {} };
  if (typeof value !== "object" || value === null) return empty;
  const { known, failures } = value as Record<string, unknown>;
  if (typeof known !== "object" || known === null || typeof failures !== "object" || failures === null) return empty;
  const k = Object.entries(known).filter((e): e is [string, number] => typeof e[1] === "number");
  const f = Object.entries(failures).filter((e): e is [string, number[]] => isTimes(e[1]));
  return { known: Object.fromEntries(k), failures: Object.fromEntries(f) };
}

export class FailureLedger {
  private readonly known: Map<string, number>;
  private readonly failures: Map<string, number[]>;
  private readonly tickets = new Map<string, Ticket>();

  constructor(
    state: GuardState,
    private readonly now: () => number,
  ) {
    this.known = new Map(Object.entries(state.known));
    this.failures = new Map(Object.entries(state.failures));
  }

  private isKnown(source: string | null, now: number): boolean {
    if (source === null) return false;
    const at = this.known.get(source);
    return at !== undefined && now - at < KNOWN_SOURCE_MS;
  }

  private recent(bucket: string, now: number): number[] {
    return (this.failures.get(bucket) ?? []).filter((t) => now - t < FAILURE_WINDOW_MS);
  }

  /** Whether an attempt from `source` (null: no per-source distinction) may check a password now. */
  admit(source: string | null, limit: number): Admission {
    const now = this.now();
    for (const [id, t] of this.tickets) if (t.expires <= now) this.tickets.delete(id);
    const known = this.isKnown(source, now);
    const bucket = known && source !== null ? source : UNKNOWN;
    const failures = this.recent(bucket, now);
    const pending = [...this.tickets.values()].filter((t) => t.bucket === bucket).length;
    const over = failures.length + pending - limit;
    if (over >= 0) {
      // The attempt may go once enough recorded failures have left the window; pending ones end within seconds.
      const freedAt = over < failures.length ? (failures[over] ?? now) + FAILURE_WINDOW_MS : now + 1000;
      return { admitted: false, retryAfter: Math.max(1, Math.ceil((freedAt - now) / 1000)) };
    }
    const ticket = crypto.randomUUID();
    this.tickets.set(ticket, { bucket, source, limit, expires: now + TICKET_MS });
    return { admitted: true, ticket, known };
  }

  /** Ends an admitted attempt; true when the state to persist changed. */
  finish(ticketId: string, outcome: Outcome): boolean {
    const ticket = this.tickets.get(ticketId);
    if (ticket === undefined) return false;
    this.tickets.delete(ticketId);
    const now = this.now();
    let changed = this.prune(now);
    if (outcome === "failed") {
      this.failures.set(ticket.bucket, [...this.recent(ticket.bucket, now), now].slice(-ticket.limit));
      return true;
    }
    if (outcome === "succeeded" && ticket.source !== null) {
      const last = this.known.get(ticket.source);
      if (last === undefined || now - last >= KNOWN_REFRESH_MS) {
        this.known.set(ticket.source, now);
        changed = true;
      }
      if (this.failures.delete(ticket.source)) changed = true;
      const oldest = [...this.known.entries()].sort((a, b) => b[1] - a[1]).slice(MAX_KNOWN_SOURCES);
      for (const [source] of oldest) this.known.delete(source);
      if (oldest.length > 0) changed = true;
    }
    return changed;
  }

  /** Drops what no longer counts; true when something was dropped. */
  private prune(now: number): boolean {
    let changed = false;
    for (const [source, at] of this.known) {
      if (now - at >= KNOWN_SOURCE_MS) changed = this.known.delete(source) || changed;
    }
    for (const [bucket, times] of this.failures) {
      const recent = times.filter((t) => now - t < FAILURE_WINDOW_MS);
      if (recent.length === times.length) continue;
      changed = true;
      if (recent.length === 0) this.failures.delete(bucket);
      else this.failures.set(bucket, recent);
    }
    return changed;
  }

  snapshot(): GuardState {
    return { known: Object.fromEntries(this.known), failures: Object.fromEntries(this.failures) };
  }

  isEmpty(): boolean {
    return this.known.size === 0 && this.failures.size === 0;
  }
}
