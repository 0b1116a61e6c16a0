// The Analytics Engine points (src/shard/analytics.ts) against a fake dataset: layout, deltas, one tick per slot,
// nothing without the binding, and a failing binding never throws out.
import { describe, expect, it } from "vitest";
import { GatewayAnalytics, isReported, TICK_SLOT_MS, type ConnectionFigures, type DataPointSink, type LinkFigures } from "../../src/shard/analytics";

class FakeDataset implements DataPointSink {
  readonly points: AnalyticsEngineDataPoint[] = [];
  writeDataPoint(point: AnalyticsEngineDataPoint): void {
    this.points.push(point);
  }
}

type Figures = { -readonly [K in keyof ConnectionFigures]: ConnectionFigures[K] };

const SLOT_START = 1_000 * TICK_SLOT_MS;

function figures(over: Partial<ConnectionFigures> = {}): Figures {
  return { cid: "CP-1", protocol: "ocpp1.6", connectedAt: SLOT_START - 60_000, recv: 0, sent: 0, malformed: 0, invalid: 0, callErrors: 0, dropped: 0, ...over };
}

const link: LinkFigures = { shard: "weur/2", state: "connected", clientId: "gw-weur-2", attached: 5, connects: 1, published: 40, delivered: 7, refused: 1, dropped: 0, sessionsDiscarded: 0 };

describe("GatewayAnalytics", () => {
  it("writes one connection point at the end: kind, version, id, reason, counters, duration", () => {
    const ds = new FakeDataset();
    const f = figures({ protocol: "ocpp2.0.1", recv: 12, sent: 10, malformed: 1, invalid: 2, callErrors: 3, dropped: 4 });
    new GatewayAnalytics(ds).connectionEnded(f, "kicked", SLOT_START + 30_000);
    expect(ds.points).toEqual([
      { indexes: ["CP-1"], blobs: ["connection", "2.0.1", "CP-1", "kicked"], doubles: [12, 10, 1, 2, 3, 4, 0, 0, 90] },
    ]);
  });

  it("writes a charge_point point once per slot, with the counters since the previous point", () => {
    const ds = new FakeDataset();
    const analytics = new GatewayAnalytics(ds);
    const f = figures({ recv: 5, sent: 4 });
    expect(analytics.tickDue(f, SLOT_START)).toBe(true);
    analytics.chargePointTick(f, { outbox: 2, queue: 1 }, SLOT_START);
    f.recv = 9;
    // Same slot: nothing, and the baseline stays where it was.
    expect(analytics.tickDue(f, SLOT_START + TICK_SLOT_MS - 1)).toBe(false);
    analytics.chargePointTick(f, { outbox: 0, queue: 0 }, SLOT_START + TICK_SLOT_MS - 1);
    analytics.chargePointTick(f, { outbox: 0, queue: 3 }, SLOT_START + TICK_SLOT_MS);
    f.recv = 10;
    f.invalid = 1;
    analytics.connectionEnded(f, "normal", SLOT_START + TICK_SLOT_MS + 1_000);
    expect(ds.points.map((p) => [p.blobs?.[0], p.doubles])).toEqual([
      ["charge_point", [5, 4, 0, 0, 0, 0, 2, 1, 0]],
      ["charge_point", [4, 0, 0, 0, 0, 0, 0, 3, 0]],
      ["connection", [1, 0, 0, 1, 0, 0, 0, 0, 961]],
    ]);
    // Every frame counted exactly once across the connection's points.
    expect(ds.points.reduce((t, p) => t + (p.doubles?.[0] ?? 0), 0)).toBe(10);
    expect(isReported(f.reported)).toBe(true);
  });

  it("writes a link point per shard with its region, index, state and counters", () => {
    const ds = new FakeDataset();
    new GatewayAnalytics(ds).linkTick({ ...link, state: "waiting", lastError: { message: "x".repeat(1000) } });
    expect(ds.points).toHaveLength(1);
    const [point] = ds.points;
    expect(point?.indexes).toEqual(["link-weur/2"]);
    expect(point?.blobs?.slice(0, 3)).toEqual(["link", "waiting", "gw-weur-2"]);
    expect(point?.blobs?.[3]).toHaveLength(256);
    // The shard's region, and its index as double1.
    expect(point?.blobs?.[4]).toBe("weur");
    expect(point?.doubles).toEqual([2, 0, 5, 1, 40, 7, 1, 0, 0]);
  });

  it("cuts an index to 96 bytes at a character boundary; the blob keeps the whole id", () => {
    const ds = new FakeDataset();
    const cid = "é".repeat(48);
    new GatewayAnalytics(ds).connectionEnded(figures({ cid }), "normal", SLOT_START);
    const index = ds.points[0]?.indexes?.[0] as string;
    expect(new TextEncoder().encode(index).byteLength).toBe(96);
    expect(cid.startsWith(index)).toBe(true);
    expect(ds.points[0]?.blobs?.[2]).toBe(cid);
  });

  it("does nothing without the binding", () => {
    const analytics = GatewayAnalytics.fromEnv({} as Env);
    const f = figures({ recv: 3 });
    expect(analytics.enabled).toBe(false);
    expect(analytics.tickDue(f, SLOT_START)).toBe(false);
    analytics.chargePointTick(f, { outbox: 0, queue: 0 }, SLOT_START);
    analytics.connectionEnded(f, "normal", SLOT_START);
    analytics.linkTick(link);
    expect(f.reported).toBeUndefined();
  });

  it("never throws when the binding fails", () => {
    const failing: DataPointSink = {
      writeDataPoint() {
        throw new Error("dataset unavailable");
      },
    };
    const analytics = new GatewayAnalytics(failing);
    expect(() => analytics.connectionEnded(figures(), "normal", SLOT_START)).not.toThrow();
    expect(() => analytics.chargePointTick(figures(), { outbox: 0, queue: 0 }, SLOT_START)).not.toThrow();
    expect(() => analytics.linkTick(link)).not.toThrow();
  });

  it("accepts only a well-formed baseline read back from an attachment", () => {
    expect(isReported({ slot: 3, recv: 1, sent: 0, malformed: 0, invalid: 0, callErrors: 0, dropped: 0 })).toBe(true);
    expect(isReported({ slot: 3, recv: -1, sent: 0, malformed: 0, invalid: 0, callErrors: 0, dropped: 0 })).toBe(false);
    expect(isReported({ slot: 3, recv: 1 })).toBe(false);
    expect(isReported("x")).toBe(false);
  });
});
