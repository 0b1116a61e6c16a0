// Analytics Engine points written by the real gateway shard. The Worker runs here without the optional METRICS
// binding (as `npm start` does); each test gives the shard a recording dataset in place of the one the binding
// would provide.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GatewayAnalytics } from "../../src/shard/analytics";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";
import { LOCAL, stubOf } from "../worker-helpers/shards";

let csms: MqttProbe;
let points: AnalyticsEngineDataPoint[] = [];

beforeAll(async () => {
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

afterEach(() => {
  points = [];
});

const recording = { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void (p !== undefined && points.push(p)) };
const failing = {
  writeDataPoint: () => {
    throw new Error("dataset unavailable");
  },
};

/** Gives the shard (and the members it holds, through their context) a dataset; its instance lives on while the test uses it. */
async function withDataset(dataset: { writeDataPoint(p?: AnalyticsEngineDataPoint): void }): Promise<void> {
  await runInDurableObject(stubOf(LOCAL), (instance) => {
    const analytics = new GatewayAnalytics(dataset as unknown as AnalyticsEngineDataset);
    const shard = instance as unknown as { analytics: GatewayAnalytics; context: { analytics: GatewayAnalytics } };
    shard.analytics = analytics;
    shard.context.analytics = analytics;
  });
}

/** The points of one kind (the shard's watchdog writes a `link` point on every run as well). */
const ofKind = (kind: string) => points.filter((p) => p.blobs?.[0] === kind);

function disconnected(cid: string, reason = "normal") {
  return (m: Received) => m.topic.endsWith(`/${cid}`) && m.json().event === "client.disconnected" && m.json().clientid === cid && m.json().reason === reason;
}

describe("Workers Analytics Engine points", () => {
  it("a connected charge point's alarm writes a charge_point point, its close a connection point; no message writes one", async () => {
    await withDataset(recording);
    const cp = await ChargePointSocket.open("ae-1", "ocpp1.6");
    cp.send([2, "ae-hb1", "Heartbeat", {}]);
    await csms.next((m) => m.topic === "ocpp/cp/ae-1" && m.json().UniqueId === "ae-hb1");
    cp.send([2, "ae-bad", "Heartbeat", { unexpected: 1 }]);
    expect((await cp.nextFrame()).slice(0, 2)).toEqual([4, "ae-bad"]);
    expect(ofKind("charge_point").concat(ofKind("connection"))).toEqual([]);

    expect(await runDurableObjectAlarm(stubOf(LOCAL))).toBe(true);
    expect(ofKind("charge_point")).toEqual([{ indexes: ["ae-1"], blobs: ["charge_point", "1.6", "ae-1", ""], doubles: [2, 1, 0, 1, 1, 0, 0, 0, 0] }]);

    cp.send([2, "ae-hb2", "Heartbeat", {}]);
    await csms.next((m) => m.topic === "ocpp/cp/ae-1" && m.json().UniqueId === "ae-hb2");
    cp.close();
    await csms.next(disconnected("ae-1"));
    expect(ofKind("charge_point").concat(ofKind("connection"))).toHaveLength(2);
    const end = ofKind("connection")[0];
    expect(end?.blobs).toEqual(["connection", "1.6", "ae-1", "normal"]);
    // Only the frame since the alarm's point: each frame is counted once across the connection's points.
    expect(end?.doubles?.slice(0, 8)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(end?.doubles?.[8]).toBeGreaterThanOrEqual(0);
  });

  it("a charge point replaced by a new connection gets its connection point, with the reason", async () => {
    await withDataset(recording);
    const first = await ChargePointSocket.open("ae-2", "ocpp2.0.1");
    const second = await ChargePointSocket.open("ae-2", "ocpp2.0.1");
    await first.whenClosed();
    expect(ofKind("connection").map((p) => p.blobs)).toEqual([["connection", "2.0.1", "ae-2", "replaced"]]);
    second.close();
    await csms.next(disconnected("ae-2"));
    expect(ofKind("connection").map((p) => p.blobs?.[3])).toEqual(["replaced", "normal"]);
  });

  it("the shard's watchdog writes a link point with its region, index, state and counters", async () => {
    await withDataset(recording);
    const cp = await ChargePointSocket.open("ae-3", "ocpp1.6");
    expect(await runDurableObjectAlarm(stubOf(LOCAL))).toBe(true);
    const links = ofKind("link");
    expect(links).toHaveLength(1);
    expect(links[0]?.indexes).toEqual(["link-enam/0"]);
    expect(links[0]?.blobs).toEqual(["link", "connected", expect.stringMatching(/-enam-0$/), "", "enam"]);
    // shard 0, up, one charge point attached, and at least the connected event published.
    expect(links[0]?.doubles?.slice(0, 3)).toEqual([0, 1, 1]);
    expect(links[0]?.doubles?.[4]).toBeGreaterThanOrEqual(1);
    cp.close();
    await csms.next(disconnected("ae-3"));
  });

  it("a failing dataset never breaks the charge point's session, its alarm or its close", async () => {
    await withDataset(failing);
    const cp = await ChargePointSocket.open("ae-4", "ocpp1.6");
    cp.send([2, "ae-bad4", "Heartbeat", { unexpected: 1 }]);
    expect((await cp.nextFrame()).slice(0, 2)).toEqual([4, "ae-bad4"]);
    expect(await runDurableObjectAlarm(stubOf(LOCAL))).toBe(true);
    cp.send([2, "ae-hb4", "Heartbeat", {}]);
    await csms.next((m) => m.topic === "ocpp/cp/ae-4" && m.json().UniqueId === "ae-hb4");
    cp.close();
    await csms.next(disconnected("ae-4"));
    const again = await ChargePointSocket.open("ae-4", "ocpp1.6");
    again.send([2, "ae-hb5", "Heartbeat", {}]);
    await csms.next((m) => m.topic === "ocpp/cp/ae-4" && m.json().UniqueId === "ae-hb5");
    again.close();
    await csms.next(disconnected("ae-4"));
  });
});
