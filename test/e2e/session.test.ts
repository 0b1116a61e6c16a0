// OCPP-J session rules end to end (the gateway runs with dnstream.awaiting_timeout = 3s, set at deploy time).
import { NOREPLY } from "ocpp-rpc";
import { describe, expect, it } from "vitest";
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
