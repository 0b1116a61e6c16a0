// The CSMS's calls when the broker delivers a message again (QoS 1 is at least once) and when a charge point's
// queued calls move between shards (src/session/downstream-calls.ts, ChargePointSession.adopt / takeQueued).
import { describe, expect, it } from "vitest";
import { DownstreamCalls, type QueuedCall } from "../../src/session/downstream-calls";
import { config, fakeRelay } from "./support/fake-relay";

const envelope = (id: string, action = "Reset", payload: object = { type: "Soft" }) =>
  JSON.stringify({ MessageTypeId: 2, UniqueId: id, Action: action, Payload: payload });
const frame = (id: string, action = "Reset", payload: object = { type: "Soft" }) => JSON.stringify([2, id, action, payload]);
const queued = (id: string, action = "Reset", payload: object = { type: "Soft" }): QueuedCall => ({ uniqueId: id, action, frame: frame(id, action, payload), enqueuedAt: 1 });
const sentIds = (t: ReturnType<typeof fakeRelay>) => t.sent.map((f) => (f as unknown[])[1]);
const gatewayErrors = (t: ReturnType<typeof fakeRelay>) =>
  t.on("ocpp/cp/CP1/Reply").filter((m) => m.Origin === "gateway").map((m) => [m.UniqueId, m.Reason, m.ErrorCode]);

describe("DownstreamCalls.submit: the same message again, or another one reusing its UniqueId", () => {
  const policy = { awaitingTimeoutMs: 30_000, maxQueueLength: 10 };

  it("the outstanding call delivered again is `redelivered`; a different message with its UniqueId is a `duplicate`", async () => {
    const { store } = fakeRelay();
    const sent: string[] = [];
    const calls = new DownstreamCalls(store, policy, (f) => (sent.push(f), true));
    const a = { uniqueId: "a", action: "Reset", frame: frame("a") };
    expect(await calls.submit(a, true, 1)).toMatchObject({ outcome: "sent" });
    expect(await calls.submit(a, true, 2)).toEqual({ outcome: "redelivered" });
    expect(await calls.submit({ ...a, frame: frame("a", "Reset", { type: "Hard" }) }, true, 3)).toEqual({ outcome: "refused", reason: "duplicate" });
    expect(sent).toEqual([frame("a")]);
  });

  it("a queued call delivered again is `redelivered` and stays queued once; a different message with its UniqueId is a `duplicate`", async () => {
    const { store } = fakeRelay();
    const calls = new DownstreamCalls(store, policy, () => true);
    await calls.submit({ uniqueId: "a", action: "Reset", frame: frame("a") }, true, 1);
    const b = { uniqueId: "b", action: "ClearCache", frame: frame("b", "ClearCache", {}) };
    expect(await calls.submit(b, true, 2)).toEqual({ outcome: "queued", position: 1 });
    expect(await calls.submit(b, true, 3)).toEqual({ outcome: "redelivered" });
    expect(await calls.submit({ ...b, frame: frame("b", "ClearCache", { x: 1 }) }, true, 4)).toEqual({ outcome: "refused", reason: "duplicate" });
    expect(store.queue.map((c) => c.uniqueId)).toEqual(["b"]);
  });
});

describe("the session: a broker redelivery is not a second call", () => {
  it("an outstanding or queued call delivered again reaches the charge point once and ends once", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(envelope("a"));
    await t.relay.fromCsms(envelope("b", "ClearCache", {}));
    await t.relay.fromCsms(envelope("a"));
    await t.relay.fromCsms(envelope("b", "ClearCache", {}));
    expect(sentIds(t)).toEqual(["a"]);
    expect(t.store.queue.map((c) => c.uniqueId)).toEqual(["b"]);
    expect(t.published).toEqual([]);
    await t.relay.fromChargePoint('[3,"a",{"status":"Accepted"}]');
    await t.relay.fromChargePoint('[3,"b",{"status":"Accepted"}]');
    expect(sentIds(t)).toEqual(["a", "b"]);
    expect(t.on("ocpp/cp/CP1/Reply").map((m) => [m.UniqueId, m.MessageTypeId])).toEqual([
      ["a", 3],
      ["b", 3],
    ]);
  });

  it("another message reusing an outstanding or queued UniqueId is refused as a duplicate (ProtocolError)", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(envelope("a"));
    await t.relay.fromCsms(envelope("b"));
    await t.relay.fromCsms(envelope("a", "Reset", { type: "Hard" }));
    await t.relay.fromCsms(envelope("b", "ClearCache", {}));
    expect(gatewayErrors(t)).toEqual([
      ["a", "duplicate", "ProtocolError"],
      ["b", "duplicate", "ProtocolError"],
    ]);
    expect(sentIds(t)).toEqual(["a"]);
  });

  it("a queued call delivered again while the charge point is away is still the same call, not a refusal", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(envelope("a"));
    await t.relay.fromCsms(envelope("b"));
    t.setConnected(false);
    await t.relay.abandonInflight();
    expect(gatewayErrors(t)).toEqual([["a", "disconnected", "GenericError"]]);
    // The broker delivers b again (its acknowledgement was lost with a reconnect): b is queued, it must not end.
    await t.relay.fromCsms(envelope("b"));
    expect(gatewayErrors(t)).toEqual([["a", "disconnected", "GenericError"]]);
    expect(t.store.queue.map((c) => c.uniqueId)).toEqual(["b"]);
  });
});

describe("ChargePointSession.takeQueued and adopt (a charge point moving between shards)", () => {
  it("takeQueued hands over the queued calls in order, unreported, and leaves the outstanding one", async () => {
    const t = fakeRelay();
    for (const id of ["a", "b", "c"]) await t.relay.fromCsms(envelope(id));
    const taken = await t.relay.takeQueued();
    expect(taken.map((c) => [c.uniqueId, c.action, c.frame])).toEqual([
      ["b", "Reset", frame("b")],
      ["c", "Reset", frame("c")],
    ]);
    expect(t.store.queue).toEqual([]);
    expect(t.store.inflight?.uniqueId).toBe("a");
    expect(t.published).toEqual([]);
  });

  it("adopt on a connected charge point with nothing outstanding: the first goes out, the rest queue in their order", async () => {
    const t = fakeRelay();
    await t.relay.adopt([queued("x"), queued("y", "ClearCache", {}), queued("z")]);
    expect(t.sent).toEqual([[2, "x", "Reset", { type: "Soft" }]]);
    expect(t.store.queue.map((c) => c.uniqueId)).toEqual(["y", "z"]);
    await t.relay.fromChargePoint('[3,"x",{"status":"Accepted"}]');
    expect(sentIds(t)).toEqual(["x", "y"]);
  });

  it("adopted calls queue behind what waits here; those already here are skipped quietly; those over the limit end queue_full", async () => {
    const t = fakeRelay({ config: config({ dnstream: { max_mqueue_len: 2 } }) });
    await t.relay.fromCsms(envelope("a"));
    await t.relay.fromCsms(envelope("b"));
    await t.relay.adopt([queued("a"), queued("b"), queued("c"), queued("d")]);
    expect(sentIds(t)).toEqual(["a"]);
    expect(t.store.queue.map((c) => c.uniqueId)).toEqual(["b", "c"]);
    expect(gatewayErrors(t)).toEqual([["d", "queue_full", "GenericError"]]);
  });

  it("adopt while the charge point is away: queued, nothing sent until it is back", async () => {
    const t = fakeRelay({ connected: false });
    await t.relay.adopt([queued("x"), queued("y")]);
    expect(t.sent).toEqual([]);
    expect(t.store.queue.map((c) => c.uniqueId)).toEqual(["x", "y"]);
    t.setConnected(true);
    await t.relay.resume();
    expect(sentIds(t)).toEqual(["x"]);
  });
});
