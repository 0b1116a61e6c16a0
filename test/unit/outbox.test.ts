import { describe, expect, it } from "vitest";
import { Outbox, retryDelay } from "../../src/session/outbox";
import { FakeLink, MemoryOutboxStore } from "./support/memory-outbox";

function setup(maxLength = 3, endingsReserve = 0) {
  const store = new MemoryOutboxStore();
  const link = new FakeLink();
  const clock = { now: 1_000 };
  const outbox = new Outbox(store, link, { maxLength, endingsReserve }, () => clock.now);
  return { store, link, clock, outbox };
}

describe("outbox", () => {
  it("publishes directly while the broker confirms, keeping nothing", async () => {
    const t = setup();
    expect(await t.outbox.publish("t", "1")).toBe("sent");
    expect(t.store.rows).toEqual([]);
    expect(t.link.published).toEqual(["t 1"]);
  });

  it("keeps what the broker does not confirm, and everything after it, then publishes all in order", async () => {
    const t = setup(10);
    await t.outbox.publish("t", "1");
    t.link.up = false;
    expect(await t.outbox.publish("t", "2")).toBe("queued");
    expect(t.store.retryState).toEqual({ at: 1_000 + retryDelay(0), attempts: 0 });
    t.link.up = true;
    // Even with the link back, a new message goes behind the kept ones (and catches them up).
    expect(await t.outbox.publish("t", "3")).toBe("queued");
    expect(t.link.published).toEqual(["t 1", "t 2", "t 3"]);
    expect(t.store.rows).toEqual([]);
    expect(t.store.retryState).toBeUndefined();
  });

  it("retries when due, stopping at the first failure and counting attempts", async () => {
    const t = setup(10);
    t.link.up = false;
    for (const n of ["a", "b", "c"]) await t.outbox.publish("t", n);
    t.clock.now += 1_999;
    expect(await t.outbox.retryIfDue()).toBe(0);
    t.clock.now += 1;
    expect(await t.outbox.retryIfDue()).toBe(0);
    expect(t.store.retryState).toEqual({ at: t.clock.now + 2_000, attempts: 1 });
    t.link.up = true;
    t.clock.now += 2_000;
    expect(await t.outbox.retryIfDue()).toBe(3);
    expect(t.link.published).toEqual(["t a", "t b", "t c"]);
  });

  it("refuses when full, and when turned off", async () => {
    const t = setup(2);
    t.link.up = false;
    expect([await t.outbox.publish("t", "1"), await t.outbox.publish("t", "2"), await t.outbox.publish("t", "3")]).toEqual([
      "queued",
      "queued",
      "refused",
    ]);
    const off = setup(0);
    off.link.up = false;
    expect(await off.outbox.publish("t", "1")).toBe("refused");
  });

  it("keeps room beyond the limit for messages that end a CSMS call, and only for them", async () => {
    const { link, outbox } = setup(2, 1);
    link.up = false;
    expect(await outbox.publish("t", "1")).toBe("queued");
    expect(await outbox.publish("t", "2")).toBe("queued");
    expect(await outbox.publish("t", "3")).toBe("refused");
    expect(await outbox.publish("t", "answer", false, "ending")).toBe("queued");
    expect(await outbox.publish("t", "another answer", false, "ending")).toBe("refused");
    link.up = true;
    await outbox.flush();
    expect(link.published).toEqual(["t 1", "t 2", "t answer"]);
  });

  it("keeps the retain flag", async () => {
    const t = setup();
    t.link.up = false;
    await t.outbox.publish("events", "e", true);
    expect(t.store.rows[0]?.message).toMatchObject({ topic: "events", payload: "e", retain: true });
  });

  it("backs off after a minute of failures", () => {
    expect([retryDelay(0), retryDelay(29), retryDelay(30), retryDelay(500)]).toEqual([2_000, 2_000, 30_000, 30_000]);
  });
});
