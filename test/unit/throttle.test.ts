// Login throttling (src/auth/throttle.ts: the credential's and the source address's ledgers), the per-isolate
// hashing budget and the credential binding rule, on an injected clock.
import { describe, expect, it } from "vitest";
import { loginSubject, mayConnectAs } from "../../src/auth/binding";
import { CredentialLedger, parseCredentialState } from "../../src/auth/credential-ledger";
import { HashBudget } from "../../src/auth/hash-budget";
import { parseSourceState, SourceLedger } from "../../src/auth/source-ledger";
import {
  FAILURE_WINDOW_MS,
  KNOWN_SOURCE_MS,
  LOGIN_WINDOW_MS,
  LOGINS_PER_MINUTE,
  MAX_KNOWN_SOURCES,
  PAIR_FAILURE_LIMIT as LIMIT,
  REWRITE_HOLD_MS,
  SOURCE_FAILURE_LIMIT,
  type Admission,
} from "../../src/auth/throttle";

const START = 1_000_000;

function credential(state = { known: {}, failures: {} }) {
  const clock = { t: START };
  return { clock, l: new CredentialLedger(state, () => clock.t) };
}

function sourceLedger() {
  const clock = { t: START };
  return { clock, l: new SourceLedger({ failures: {} }, () => clock.t) };
}

function ticketOf(a: Admission): string {
  if (!a.admitted) throw new Error(`refused (${a.reason}), retry after ${a.retryAfter}`);
  return a.ticket;
}

/** One attempt on a charge point credential (bounded logins) from `source`, ended with `outcome`. */
function attempt(l: CredentialLedger, source: string, outcome: "failed" | "succeeded", perMinute: number | null = LOGINS_PER_MINUTE): void {
  l.finish(ticketOf(l.admit(source, perMinute)), outcome);
}

describe("CredentialLedger: no budget over all sources", () => {
  it("failures from sources the credential does not know never refuse anyone here (each address's own guard counts them)", () => {
    const { l } = credential();
    for (let i = 0; i < 50 * LIMIT; i++) attempt(l, `4:198.51.100.${i % 250}`, "failed");
    expect(l.admit("4:203.0.113.9", LOGINS_PER_MINUTE)).toMatchObject({ admitted: true, known: false });
    expect(l.snapshot()).toEqual({ known: {}, failures: {} });
  });

  it(`a known source has ${LIMIT} failures of its own per window; other known sources and new ones are not affected`, () => {
    const { clock, l } = credential();
    attempt(l, "4:192.0.2.1", "succeeded");
    attempt(l, "4:192.0.2.2", "succeeded");
    clock.t += LOGIN_WINDOW_MS;
    for (let i = 0; i < LIMIT; i++) attempt(l, "4:192.0.2.1", "failed");
    expect(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)).toEqual({ admitted: false, retryAfter: FAILURE_WINDOW_MS / 1000, reason: "too_many_failed_logins" });
    expect(l.admit("4:192.0.2.2", LOGINS_PER_MINUTE)).toMatchObject({ admitted: true, known: true });
    expect(l.admit("4:198.51.100.1", LOGINS_PER_MINUTE)).toMatchObject({ admitted: true, known: false });
  });

  it("a known source's failures leave the window and the refusal ends; Retry-After says when", () => {
    const { clock, l } = credential();
    attempt(l, "4:192.0.2.1", "succeeded");
    attempt(l, "4:192.0.2.1", "failed");
    clock.t += 60_000;
    for (let i = 1; i < LIMIT; i++) attempt(l, "4:192.0.2.1", "failed");
    expect(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)).toMatchObject({ admitted: false, retryAfter: (FAILURE_WINDOW_MS - 60_000) / 1000 });
    clock.t += FAILURE_WINDOW_MS - 60_000;
    expect(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE).admitted).toBe(true);
  });

  it("a source is known for 30 days after its last success", () => {
    const { clock, l } = credential();
    attempt(l, "4:192.0.2.1", "succeeded");
    clock.t += KNOWN_SOURCE_MS - 1;
    expect(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)).toMatchObject({ admitted: true, known: true });
    clock.t += 1;
    expect(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)).toMatchObject({ admitted: true, known: false });
  });

  it(`remembers the ${MAX_KNOWN_SOURCES} most recent known sources`, () => {
    const { clock, l } = credential();
    for (let i = 0; i <= MAX_KNOWN_SOURCES; i++) {
      attempt(l, `4:192.0.2.${i}`, "succeeded");
      clock.t += LOGIN_WINDOW_MS;
    }
    expect(Object.keys(l.snapshot().known)).toHaveLength(MAX_KNOWN_SOURCES);
    expect(l.snapshot().known).not.toHaveProperty("4:192.0.2.0");
  });

  it("attempts in progress from a known source count, so parallel guesses cannot all pass before the first failure is written", () => {
    const { clock, l } = credential();
    attempt(l, "4:192.0.2.1", "succeeded");
    clock.t += LOGIN_WINDOW_MS;
    const admitted = Array.from({ length: 3 * LIMIT }, () => l.admit("4:192.0.2.1", null));
    expect(admitted.filter((a) => a.admitted)).toHaveLength(LIMIT);
    expect(admitted.at(-1)).toEqual({ admitted: false, retryAfter: 1, reason: "too_many_failed_logins" });
  });

  it("a released attempt frees its place and records nothing; an attempt never finished stops counting", () => {
    const { clock, l } = credential();
    attempt(l, "4:192.0.2.1", "succeeded");
    clock.t += LOGIN_WINDOW_MS;
    const before = l.snapshot();
    const tickets = Array.from({ length: LIMIT }, () => ticketOf(l.admit("4:192.0.2.1", null)));
    expect(l.admit("4:192.0.2.1", null).admitted).toBe(false);
    expect(l.finish(tickets[0] as string, "released")).toBe(false);
    expect(l.admit("4:192.0.2.1", null).admitted).toBe(true);
    clock.t += 30_000;
    expect(l.admit("4:192.0.2.1", null).admitted).toBe(true);
    expect(l.snapshot()).toEqual(before);
  });

  it("a success writes state only when the source is new or its record is a day old", () => {
    const { clock, l } = credential();
    expect(l.finish(ticketOf(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)), "succeeded")).toBe(true);
    clock.t += 3600_000;
    expect(l.finish(ticketOf(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)), "succeeded")).toBe(false);
    clock.t += 24 * 3600_000;
    expect(l.finish(ticketOf(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)), "succeeded")).toBe(true);
  });

  it("a failure from a source the credential does not know writes nothing here", () => {
    const { l } = credential();
    expect(l.finish(ticketOf(l.admit("4:198.51.100.1", LOGINS_PER_MINUTE)), "failed")).toBe(false);
    expect(l.isEmpty()).toBe(true);
  });
});

describe("CredentialLedger: successful logins per minute", () => {
  it(`a credential logs in at most ${LOGINS_PER_MINUTE} times a minute, from known sources too; Retry-After says when`, () => {
    const { clock, l } = credential();
    for (let i = 0; i < LOGINS_PER_MINUTE; i++) {
      attempt(l, "4:192.0.2.1", "succeeded");
      clock.t += 1000;
    }
    const refused = l.admit("4:192.0.2.1", LOGINS_PER_MINUTE);
    expect(refused).toEqual({ admitted: false, retryAfter: (LOGIN_WINDOW_MS - LOGINS_PER_MINUTE * 1000) / 1000, reason: "too_many_logins" });
    expect(l.admit("4:198.51.100.7", LOGINS_PER_MINUTE)).toMatchObject({ admitted: false, reason: "too_many_logins" });
    clock.t = START + LOGIN_WINDOW_MS;
    expect(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE).admitted).toBe(true);
  });

  it("parallel attempts from one source count before they finish, so a burst cannot pass the bound", () => {
    const { l } = credential();
    const admitted = Array.from({ length: 4 * LOGINS_PER_MINUTE }, () => l.admit("4:192.0.2.1", LOGINS_PER_MINUTE));
    expect(admitted.filter((a) => a.admitted)).toHaveLength(LOGINS_PER_MINUTE);
    expect(admitted.at(-1)).toMatchObject({ admitted: false, reason: "too_many_logins" });
  });

  it("strangers' attempts (failed, or still running) never use up the charger's logins", () => {
    const { l } = credential();
    for (let i = 0; i < 10 * LOGINS_PER_MINUTE; i++) attempt(l, `4:198.51.100.${i % 250}`, "failed");
    const running = Array.from({ length: 10 * LOGINS_PER_MINUTE }, (_, i) => l.admit(`6:2001:db8:${i.toString(16)}:0::/64`, LOGINS_PER_MINUTE));
    expect(running.every((a) => a.admitted)).toBe(true);
    expect(l.admit("4:192.0.2.1", LOGINS_PER_MINUTE)).toMatchObject({ admitted: true });
  });

  it("without a bound (the admin key) successes are not limited", () => {
    const { l } = credential();
    for (let i = 0; i < 10 * LOGINS_PER_MINUTE; i++) attempt(l, "4:192.0.2.1", "succeeded", null);
    expect(l.admit("4:192.0.2.1", null).admitted).toBe(true);
  });
});

describe("CredentialLedger: changes through the API hold back rewrites", () => {
  it(`a record written through the API may not be rewritten by a login for ${REWRITE_HOLD_MS / 60_000} minutes`, () => {
    const { clock, l } = credential();
    expect(l.mayRewrite()).toBe(true);
    l.markChanged();
    expect(l.mayRewrite()).toBe(false);
    clock.t += REWRITE_HOLD_MS - 1;
    expect(l.mayRewrite()).toBe(false);
    clock.t += 1;
    expect(l.mayRewrite()).toBe(true);
  });
});

describe("CredentialLedger: state ends with its windows", () => {
  it("nextExpiry names when something leaves; after the last window nothing is left", () => {
    const { clock, l } = credential();
    attempt(l, "4:192.0.2.1", "succeeded");
    clock.t += 1000;
    attempt(l, "4:192.0.2.1", "failed");
    l.markChanged();
    expect(l.nextExpiry()).toBe(START + 1000 + REWRITE_HOLD_MS);
    clock.t += REWRITE_HOLD_MS;
    expect(l.expire()).toBe(true);
    expect(l.nextExpiry()).toBe(START + 1000 + FAILURE_WINDOW_MS);
    clock.t = START + 1000 + FAILURE_WINDOW_MS;
    expect(l.expire()).toBe(true);
    expect(l.nextExpiry()).toBe(START + KNOWN_SOURCE_MS);
    clock.t = START + KNOWN_SOURCE_MS;
    expect(l.expire()).toBe(true);
    expect(l.isEmpty()).toBe(true);
    expect(l.nextExpiry()).toBeNull();
  });

  it("state survives a restart (snapshot → parse); bad or earlier-version state is read safely", () => {
    const { clock, l } = credential();
    attempt(l, "4:192.0.2.1", "succeeded");
    clock.t += LOGIN_WINDOW_MS;
    for (let i = 0; i < LIMIT; i++) attempt(l, "4:192.0.2.1", "failed");
    const restarted = new CredentialLedger(parseCredentialState(JSON.parse(JSON.stringify(l.snapshot()))), () => clock.t);
    expect(restarted.admit("4:192.0.2.1", LOGINS_PER_MINUTE).admitted).toBe(false);
    for (const bad of [null, 7, "x", { known: 1, failures: {} }, { known: {}, failures: { "*": ["x"] } }]) {
      expect(new CredentialLedger(parseCredentialState(bad), () => clock.t).isEmpty()).toBe(true);
    }
    // An earlier version's bucket `*` (all unknown sources together) is dropped; its known sources are kept.
    const legacy = parseCredentialState({ known: { "4:192.0.2.1": START }, failures: { "*": [START, START], "4:192.0.2.1": [START] } });
    expect(legacy).toEqual({ known: { "4:192.0.2.1": START }, failures: { "4:192.0.2.1": [START] } });
  });
});

describe("SourceLedger: one source address", () => {
  it(`allows ${LIMIT} failures per credential and ${SOURCE_FAILURE_LIMIT} in all per window`, () => {
    const { l } = sourceLedger();
    for (let i = 0; i < LIMIT; i++) l.finish(ticketOf(l.admit("user:a")), "failed");
    expect(l.admit("user:a")).toEqual({ admitted: false, retryAfter: FAILURE_WINDOW_MS / 1000, reason: "too_many_failed_logins" });
    for (let n = 1; n < SOURCE_FAILURE_LIMIT / LIMIT; n++) {
      for (let i = 0; i < LIMIT; i++) l.finish(ticketOf(l.admit(`user:${n}`)), "failed");
    }
    expect(l.admit("user:other")).toMatchObject({ admitted: false, reason: "too_many_failed_logins" });
  });

  it("attempts in progress count; a success clears that credential's failures here; windows end", () => {
    const { clock, l } = sourceLedger();
    const running = Array.from({ length: 2 * LIMIT }, () => l.admit("user:a"));
    expect(running.filter((a) => a.admitted)).toHaveLength(LIMIT);
    for (const a of running) if (a.admitted) l.finish(a.ticket, "released");
    for (let i = 0; i < LIMIT - 1; i++) l.finish(ticketOf(l.admit("user:a")), "failed");
    expect(l.finish(ticketOf(l.admit("user:a")), "succeeded")).toBe(true);
    expect(l.isEmpty()).toBe(true);
    l.finish(ticketOf(l.admit("user:b")), "failed");
    expect(l.nextExpiry()).toBe(START + FAILURE_WINDOW_MS);
    clock.t += FAILURE_WINDOW_MS;
    expect(l.expire()).toBe(true);
    expect(l.isEmpty()).toBe(true);
    expect(l.nextExpiry()).toBeNull();
  });

  it("an earlier version's failures (bucket `*`) still count toward the address's total", () => {
    const { clock } = sourceLedger();
    const l = new SourceLedger(parseSourceState({ known: {}, failures: { "*": Array.from({ length: SOURCE_FAILURE_LIMIT }, () => START) } }), () => clock.t);
    expect(l.admit("user:a")).toMatchObject({ admitted: false });
    for (const bad of [null, 7, { failures: 1 }, { failures: { "user:a": ["x"] } }]) expect(new SourceLedger(parseSourceState(bad), () => clock.t).isEmpty()).toBe(true);
  });
});

describe("HashBudget", () => {
  it("spends at most its units per second, refilling with time", () => {
    const clock = { t: 0 };
    const budget = new HashBudget(1_000_000, () => clock.t);
    const taken = Array.from({ length: 15 }, () => budget.take(100_000)).filter(Boolean).length;
    expect(taken).toBe(10);
    clock.t += 300;
    expect(Array.from({ length: 5 }, () => budget.take(100_000)).filter(Boolean).length).toBe(3);
    expect(budget.take(1)).toBe(false);
    clock.t += 1;
    expect(budget.take(1)).toBe(true);
  });

  it("work for a known source is always allowed and charged (down to a second's debt), so strangers wait longer", () => {
    const clock = { t: 0 };
    const budget = new HashBudget(1_000_000, () => clock.t);
    while (budget.take(100_000));
    expect(budget.take(100_000, true)).toBe(true);
    clock.t += 50;
    // 50 ms refilled 50,000 units, but the known login's 100,000 are owed first.
    expect(budget.take(40_000)).toBe(false);
  });
});

describe("binding a credential to the charge point id", () => {
  const plain = { is_superuser: false };
  const superuser = { is_superuser: true };

  it("user_id_type username: the Basic user name is the user and must be the id, unless a superuser", () => {
    expect(loginSubject("username", "CP002", "CP001")).toEqual({ userId: "CP001", username: "CP001" });
    expect(mayConnectAs("username", "CP002", "CP001", plain)).toBe(false);
    expect(mayConnectAs("username", "CP001", "CP001", plain)).toBe(true);
    expect(mayConnectAs("username", "CP002", "tool", superuser)).toBe(true);
  });

  it("user_id_type clientid: the id is the user; the Basic user name is kept only when it equals the id", () => {
    expect(loginSubject("clientid", "CP001", "CP001")).toEqual({ userId: "CP001", username: "CP001" });
    expect(loginSubject("clientid", "CP001", "x".repeat(10_000))).toEqual({ userId: "CP001", username: undefined });
    expect(loginSubject("clientid", "CP001", "")).toEqual({ userId: "CP001", username: undefined });
    expect(mayConnectAs("clientid", "CP001", "CP001", plain)).toBe(true);
  });
});
