// Analytics Engine points written by the real ChargePoint and BrokerLink objects. The Worker runs here without the
// optional METRICS binding (as `npm start` does); each test gives the objects it watches a recording dataset in
// place of the one the binding would provide.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GatewayAnalytics } from "../../src/objects/analytics";
import { brokerLinkName } from "../../src/objects/links";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";

let csms: MqttProbe;
let points: AnalyticsEngineDataPoint[] = [];

beforeAll(async () => {
  csms = await MqttProbe.connect(env.MQTT_URL);
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

/** Gives the object behind `stub` a dataset (its instance lives on while the test uses it). */
async function withDataset(stub: DurableObjectStub, dataset: { writeDataPoint(p?: AnalyticsEngineDataPoint): void }): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { analytics: GatewayAnalytics }).analytics = new GatewayAnalytics(dataset as unknown as AnalyticsEngineDataset);
  });
}

function chargePointStub(cid: string) {
  return env.CHARGE_POINT.get(env.CHARGE_POINT.idFromName(cid));
}

function disconnected(cid: string, reason = "normal") {
  return (m: Received) => m.topic.endsWith(`/${cid}`) && m.json().event === "client.disconnected" && m.json().clientid === cid && m.json().reason === reason;
}

describe("Workers Analytics Engine points", () => {
  it("a connected charge point's alarm writes a charge_point point, its close a connection point; no message writes one", async () => {
    await withDataset(chargePointStub("ae-1"), recording);
    const cp = await ChargePointSocket.open("ae-1", "ocpp1.6");
    cp.send([2, "ae-hb1", "Heartbeat", {}]);
    await csms.next((m) => m.topic === "ocpp/cp/ae-1" && m.json().UniqueId === "ae-hb1");
    cp.send([2, "ae-bad", "Heartbeat", { unexpected: 1 }]);
    expect((await cp.nextFrame()).slice(0, 2)).toEqual([4, "ae-bad"]);
    expect(points).toEqual([]);

    expect(await runDurableObjectAlarm(chargePointStub("ae-1"))).toBe(true);
    expect(points).toEqual([{ indexes: ["ae-1"], blobs: ["charge_point", "1.6", "ae-1", ""], doubles: [2, 1, 0, 1, 1, 0, 0, 0, 0] }]);

    cp.send([2, "ae-hb2", "Heartbeat", {}]);
    await csms.next((m) => m.topic === "ocpp/cp/ae-1" && m.json().UniqueId === "ae-hb2");
    cp.close();
    await csms.next(disconnected("ae-1"));
    expect(points).toHaveLength(2);
    const end = points[1];
    expect(end?.blobs).toEqual(["connection", "1.6", "ae-1", "normal"]);
    // Only the frame since the alarm's point: each frame is counted once across the connection's points.
    expect(end?.doubles?.slice(0, 8)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(end?.doubles?.[8]).toBeGreaterThanOrEqual(0);
  });

  it("a charge point replaced by a new connection gets its connection point, with the reason", async () => {
    await withDataset(chargePointStub("ae-2"), recording);
    const first = await ChargePointSocket.open("ae-2", "ocpp2.0.1");
    const second = await ChargePointSocket.open("ae-2", "ocpp2.0.1");
    await first.whenClosed();
    expect(points.map((p) => p.blobs)).toEqual([["connection", "2.0.1", "ae-2", "replaced"]]);
    second.close();
    await csms.next(disconnected("ae-2"));
    expect(points.map((p) => p.blobs?.[3])).toEqual(["replaced", "normal"]);
  });

  it("the broker link's watchdog writes a link point with its state and counters", async () => {
    const cp = await ChargePointSocket.open("ae-3", "ocpp1.6");
    const link = env.BROKER_LINK.get(env.BROKER_LINK.idFromName(brokerLinkName(0)));
    await withDataset(link, recording);
    expect(await runDurableObjectAlarm(link)).toBe(true);
    expect(points).toHaveLength(1);
    expect(points[0]?.indexes).toEqual(["link-0"]);
    expect(points[0]?.blobs?.slice(0, 2)).toEqual(["link", "connected"]);
    // shard 0, up, and at least the connected event published.
    expect(points[0]?.doubles?.slice(0, 2)).toEqual([0, 1]);
    expect(points[0]?.doubles?.[4]).toBeGreaterThanOrEqual(1);
    cp.close();
    await csms.next(disconnected("ae-3"));
  });

  it("a failing dataset never breaks the charge point's session, its alarm or its close", async () => {
    await withDataset(chargePointStub("ae-4"), failing);
    const cp = await ChargePointSocket.open("ae-4", "ocpp1.6");
    cp.send([2, "ae-bad4", "Heartbeat", { unexpected: 1 }]);
    expect((await cp.nextFrame()).slice(0, 2)).toEqual([4, "ae-bad4"]);
    expect(await runDurableObjectAlarm(chargePointStub("ae-4"))).toBe(true);
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
