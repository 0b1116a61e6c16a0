// OCPP-J session rules end to end (the gateway runs with dnstream.awaiting_timeout = 3s, set at deploy time; the
// frame rate limit and everything else at their defaults).
import { NOREPLY } from "ocpp-rpc";
import { describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { WS_CLIENT_OPTIONS } from "./support/charge-point";
import { useGateway } from "./support/context";

const gateway = useGateway();
const chargePoint = (identity: string) => gateway.chargePoint(identity);

describe("one outstanding call per charge point", () => {
  it("back-to-back calls from the CSMS reach the charge point one at a time, in order, and replies carry their Action", async () => {
    const cp = await chargePoint("e2e-b2b");
    let running = 0;
    let maxRunning = 0;
    const order: string[] = [];
    const slow = (action: string, result: object) => async ({ messageId }: { messageId?: string }) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      order.push(`${action}:${messageId}`);
      await new Promise((r) => setTimeout(r, 150));
      running--;
      return result;
    };
    cp.client.handle("Reset", slow("Reset", { status: "Accepted" }));
    cp.client.handle("ClearCache", slow("ClearCache", { status: "Accepted" }));
    cp.client.handle("UnlockConnector", slow("UnlockConnector", { status: "Unlocked" }));
    await gateway.csms.publish("ocpp/cs/e2e-b2b", { MessageTypeId: 2, UniqueId: "b1", Action: "Reset", Payload: { type: "Soft" } });
    await gateway.csms.publish("ocpp/cs/e2e-b2b", { MessageTypeId: 2, UniqueId: "b2", Action: "ClearCache", Payload: {} });
    await gateway.csms.publish("ocpp/cs/e2e-b2b", { MessageTypeId: 2, UniqueId: "b3", Action: "UnlockConnector", Payload: { connectorId: 1 } });
    const replies = [await gateway.csms.on("ocpp/cp/e2e-b2b/Reply", "b1"), await gateway.csms.on("ocpp/cp/e2e-b2b/Reply", "b2"), await gateway.csms.on("ocpp/cp/e2e-b2b/Reply", "b3")];
    expect(order).toEqual(["Reset:b1", "ClearCache:b2", "UnlockConnector:b3"]);
    expect(maxRunning).toBe(1);
    expect(replies.map((r) => [r.body.UniqueId, r.body.Action, r.body.MessageTypeId])).toEqual([
      ["b1", "Reset", 3],
      ["b2", "ClearCache", 3],
      ["b3", "UnlockConnector", 3],
    ]);
  });

  it("an unanswered call times out: the CSMS gets a CALLERROR envelope and the next call goes out", async () => {
    const cp = await chargePoint("e2e-timeout");
    // ocpp-rpc's declarations type NOREPLY as an object; at run time it is the symbol the library checks for.
    cp.client.handle("ChangeAvailability", async () => NOREPLY as unknown as Record<string, unknown>);
    const cleared: string[] = [];
    cp.client.handle("ClearCache", async ({ messageId }: { messageId?: string }) => {
      cleared.push(String(messageId));
      return { status: "Accepted" };
    });
    const started = Date.now();
    await gateway.csms.publish("ocpp/cs/e2e-timeout", { MessageTypeId: 2, UniqueId: "slow-1", Action: "ChangeAvailability", Payload: { connectorId: 1, type: "Inoperative" } });
    await gateway.csms.publish("ocpp/cs/e2e-timeout", { MessageTypeId: 2, UniqueId: "next-1", Action: "ClearCache", Payload: {} });
    const timeout = await gateway.csms.on("ocpp/cp/e2e-timeout/Reply", "slow-1", 15_000);
    expect(timeout.body).toEqual({
      MessageTypeId: 4,
      UniqueId: "slow-1",
      Action: "ChangeAvailability",
      ErrorCode: "GenericError",
      ErrorDescription: "no answer from the charge point within 3s",
      ErrorDetails: {},
      Origin: "gateway",
      Reason: "timeout",
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    const next = await gateway.csms.on("ocpp/cp/e2e-timeout/Reply", "next-1");
    expect(next.body).toMatchObject({ MessageTypeId: 3, Action: "ClearCache" });
    expect(cleared).toEqual(["next-1"]);
  });
});

describe("the frame rate limit (default: 20 frames a second, bursts of 40) and chargers that wait for each answer", () => {
  it("one call at a time at full speed, 60 % refused by the gateway as invalid: no valid call is refused, the connection stays", { timeout: 120_000 }, async () => {
    const cid = "e2e-paced";
    gateway.csms.client.on("message", (topic, raw) => {
      if (topic !== `ocpp/cp/${cid}`) return;
      const call = JSON.parse(raw.toString()) as { UniqueId: string; Action: string };
      const payload = call.Action === "Heartbeat" ? { currentTime: new Date().toISOString() } : {};
      void gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: call.UniqueId, Payload: payload });
    });
    const cp = await chargePoint(cid);
    let closed: unknown;
    cp.client.on("close", (event: unknown) => (closed ??= event));
    const isInvalid = (i: number) => i % 5 < 3;
    const outcomes: { i: number; ok: boolean; message?: string }[] = [];
    // ocpp-rpc sends a call only once the previous one was answered (its default callConcurrency of 1).
    for (let i = 0; i < 144 && closed === undefined; i++) {
      const [action, params] = isInvalid(i)
        ? ["BootNotification", { chargePointVendor: "v" }]
        : i % 2 === 0
          ? ["Heartbeat", {}]
          : ["MeterValues", { connectorId: 1, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(i) }] }] }];
      try {
        await cp.client.call(action as string, params);
        outcomes.push({ i, ok: true });
      } catch (error) {
        outcomes.push({ i, ok: false, message: (error as Error).message });
      }
    }
    expect(closed).toBeUndefined();
    expect(outcomes.filter((o) => !isInvalid(o.i) && !o.ok)).toEqual([]);
    const refused = outcomes.filter((o) => isInvalid(o.i));
    expect(refused).toHaveLength(87);
    for (const o of refused) expect(o).toMatchObject({ ok: false, message: expect.stringMatching(/chargePointModel/) });
    expect(cp.received.filter((f) => f[0] === 4 && f[2] === "GenericError")).toEqual([]);
  });

  it("a charger that sends calls without waiting is still refused over the limit, then closed (1008)", { timeout: 60_000 }, async () => {
    const ws = new WebSocket(`${inject("gatewayWs")}/e2e-unpaced`, ["ocpp1.6"], WS_CLIENT_OPTIONS);
    const received: unknown[][] = [];
    ws.on("message", (data) => received.push(JSON.parse(data.toString()) as unknown[]));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    // About 500 calls a second, none waiting for an answer, until the gateway closes the connection.
    for (let batch = 0; batch < 40 && ws.readyState === WebSocket.OPEN; batch++) {
      for (let i = 0; i < 50; i++) ws.send(JSON.stringify([2, `u-${batch}-${i}`, "BootNotification", { chargePointVendor: "v" }]));
      await Promise.race([closed, new Promise((r) => setTimeout(r, 100))]);
    }
    expect(await closed).toEqual({ code: 1008, reason: "rate limit exceeded: at most 20 frames per second" });
    const limited = received.filter((f) => f[2] === "GenericError");
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const f of limited) expect(f[3]).toBe("rate limit exceeded: at most 20 frames per second");
  });
});
