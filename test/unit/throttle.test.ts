// Failed-login accounting (src/auth/throttle.ts), the per-isolate hashing budget and the credential binding rule,
// on an injected clock.
import { describe, expect, it } from "vitest";
import { loginSubject, mayConnectAs } from "../../src/auth/binding";
import { HashBudget } from "../../src/auth/hash-budget";
import {
  CREDENTIAL_FAILURE_LIMIT as LIMIT,
  FAILURE_WINDOW_MS,
  FailureLedger,
  KNOWN_SOURCE_MS,
  MAX_KNOWN_SOURCES,
  parseGuardState,
  type Admission,
} from "../../src/auth/throttle";

function ledger(state = { known: {}, failures: {} }) {
  const clock = { t: 1_000_000 };
  return { clock, l: new FailureLedger(state, () => clock.t) };
}

function ticketOf(a: Admission): string {
  if (!a.admitted) throw new Error(`refused, retry after ${a.retryAfter}`);
  return a.ticket;
}

function fail(l: FailureLedger, source: string | null, limit = LIMIT): void {
  l.finish(ticketOf(l.admit(source, limit)), "failed");
}

function succeed(l: FailureLedger, source: string | null, limit = LIMIT): void {
  l.finish(ticketOf(l.admit(source, limit)), "succeeded");
}

describe("FailureLedger: one credential", () => {
  it(`allows ${LIMIT} failures from unknown sources per window, whichever source they come from`, () => {
    const { l } = ledger();
    for (let i = 0; i < LIMIT; i++) fail(l, `4:198.51.100.${i}`);
    const refused = l.admit("4:203.0.113.9", LIMIT);
    expect(refused).toEqual({ admitted: false, retryAfter: FAILURE_WINDOW_MS / 1000 });
  });

  it("a source that logged in before still gets in while unknown sources are locked out", () => {
    const { clock, l } = ledger();
    succeed(l, "4:192.0.2.1");
    clock.t += 3600_000;
    for (let i = 0; i < LIMIT; i++) fail(l, "4:198.51.100.1");
    expect(l.admit("4:198.51.100.2", LIMIT).admitted).toBe(false);
    const admitted = l.admit("4:192.0.2.1", LIMIT);
    expect(admitted).toMatchObject({ admitted: true, known: true });
  });

  it("a known source that keeps failing locks only itself", () => {
    const { l } = ledger();
    succeed(l, "4:192.0.2.1");
    succeed(l, "4:192.0.2.2");
    for (let i = 0; i < LIMIT; i++) fail(l, "4:192.0.2.1");
    expect(l.admit("4:192.0.2.1", LIMIT).admitted).toBe(false);
    expect(l.admit("4:192.0.2.2", LIMIT).admitted).toBe(true);
    expect(l.admit("4:198.51.100.1", LIMIT).admitted).toBe(true);
  });

  it("a source is known for 30 days after its last success", () => {
    const { clock, l } = ledger();
    succeed(l, "4:192.0.2.1");
    for (let i = 0; i < LIMIT; i++) fail(l, "4:198.51.100.1");
    clock.t += KNOWN_SOURCE_MS - FAILURE_WINDOW_MS / 2;
    for (let i = 0; i < LIMIT; i++) fail(l, "4:198.51.100.1");
    expect(l.admit("4:192.0.2.1", LIMIT)).toMatchObject({ admitted: true, known: true });
    clock.t += FAILURE_WINDOW_MS / 2;
    expect(l.admit("4:192.0.2.1", LIMIT).admitted).toBe(false);
  });

  it(`remembers the ${MAX_KNOWN_SOURCES} most recent known sources`, () => {
    const { clock, l } = ledger();
    for (let i = 0; i <= MAX_KNOWN_SOURCES; i++) {
      succeed(l, `4:192.0.2.${i}`);
      clock.t += 1000;
    }
    expect(Object.keys(l.snapshot().known)).toHaveLength(MAX_KNOWN_SOURCES);
    expect(l.snapshot().known).not.toHaveProperty("4:192.0.2.0");
  });

  it("failures leave the window and the lock ends; Retry-After says when", () => {
    const { clock, l } = ledger();
    fail(l, "4:198.51.100.1");
    clock.t += 60_000;
    for (let i = 1; i < LIMIT; i++) fail(l, "4:198.51.100.1");
    expect(l.admit("4:198.51.100.1", LIMIT)).toEqual({ admitted: false, retryAfter: (FAILURE_WINDOW_MS - 60_000) / 1000 });
    clock.t += FAILURE_WINDOW_MS - 60_000;
    expect(l.admit("4:198.51.100.1", LIMIT).admitted).toBe(true);
  });

  it("attempts in progress count, so parallel guesses cannot all pass before the first failure is written", () => {
    const { l } = ledger();
    const admitted = Array.from({ length: 3 * LIMIT }, () => l.admit("4:198.51.100.1", LIMIT));
    expect(admitted.filter((a) => a.admitted)).toHaveLength(LIMIT);
    expect(admitted.at(-1)).toEqual({ admitted: false, retryAfter: 1 });
  });

  it("a released attempt frees its place and records nothing; an attempt never finished stops counting", () => {
    const { clock, l } = ledger();
    const tickets = Array.from({ length: LIMIT }, () => ticketOf(l.admit("4:198.51.100.1", LIMIT)));
    expect(l.admit("4:198.51.100.1", LIMIT).admitted).toBe(false);
    expect(l.finish(tickets[0] as string, "released")).toBe(false);
    expect(l.admit("4:198.51.100.1", LIMIT).admitted).toBe(true);
    clock.t += 30_000;
    expect(l.admit("4:198.51.100.1", LIMIT).admitted).toBe(true);
    expect(l.snapshot()).toEqual({ known: {}, failures: {} });
  });

  it("a success writes state only when the source is new or its record is a day old", () => {
    const { clock, l } = ledger();
    const first = ticketOf(l.admit("4:192.0.2.1", LIMIT));
    expect(l.finish(first, "succeeded")).toBe(true);
    clock.t += 3600_000;
    expect(l.finish(ticketOf(l.admit("4:192.0.2.1", LIMIT)), "succeeded")).toBe(false);
    clock.t += 24 * 3600_000;
    expect(l.finish(ticketOf(l.admit("4:192.0.2.1", LIMIT)), "succeeded")).toBe(true);
  });

  it("state survives a restart (snapshot → parse) and bad stored state starts empty", () => {
    const { clock, l } = ledger();
    succeed(l, "4:192.0.2.1");
    for (let i = 0; i < LIMIT; i++) fail(l, "4:198.51.100.1");
    const restarted = new FailureLedger(parseGuardState(JSON.parse(JSON.stringify(l.snapshot()))), () => clock.t);
    expect(restarted.admit("4:198.51.100.1", LIMIT).admitted).toBe(false);
    expect(restarted.admit("4:192.0.2.1", LIMIT).admitted).toBe(true);
    for (const bad of [null, 7, "x", { known: 1, failures: {} }, { known: {}, failures: { "*": ["x"] } }]) {
      expect(new FailureLedger(parseGuardState(bad), () => clock.t).admit("s", LIMIT).admitted).toBe(true);
    }
  });
});

describe("FailureLedger: one source address (no per-source buckets)", () => {
  it("counts every failure alike, successes make nothing known", () => {
    const { l } = ledger();
    succeed(l, null, 3);
    for (let i = 0; i < 3; i++) fail(l, null, 3);
    expect(l.admit(null, 3).admitted).toBe(false);
    expect(l.snapshot().known).toEqual({});
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
