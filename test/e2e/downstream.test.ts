// Downstream calls and the charge point's errors, end to end.
import { createRPCError } from "ocpp-rpc";
import { describe, expect, it } from "vitest";
import { useGateway } from "./support/context";

const gateway = useGateway();
const chargePoint = (identity: string) => gateway.chargePoint(identity);

describe("charge point errors", () => {
  it("a CALLERROR from the charge point is published on the error topic with its details and the call's Action", async () => {
    const cp = await chargePoint("e2e-callerror");
    cp.client.handle("UnlockConnector", () => {
      throw createRPCError("NotSupported", "no connector lock", { connector: 1 });
    });
    await gateway.csms.publish("ocpp/cs/e2e-callerror", { MessageTypeId: 2, UniqueId: "u-1", Action: "UnlockConnector", Payload: { connectorId: 1 } });
    const error = await gateway.csms.on("ocpp/cp/e2e-callerror/Reply", "u-1");
    expect(error.body).toEqual({
      MessageTypeId: 4,
      UniqueId: "u-1",
      Action: "UnlockConnector",
      ErrorCode: "NotSupported",
      ErrorDescription: "no connector lock",
      ErrorDetails: { connector: 1 },
    });
  });

  it("a call the charge point does not implement comes back as its NotImplemented CALLERROR", async () => {
    await chargePoint("e2e-notimpl");
    await gateway.csms.publish("ocpp/cs/e2e-notimpl", { MessageTypeId: 2, UniqueId: "n-1", Action: "ClearCache", Payload: {} });
    const error = await gateway.csms.on("ocpp/cp/e2e-notimpl/Reply", "n-1");
    expect(error.body).toMatchObject({ MessageTypeId: 4, UniqueId: "n-1", Action: "ClearCache", ErrorCode: "NotImplemented" });
    expect(error.body.Origin).toBeUndefined();
  });

  it("the CSMS's CALLERROR reaches the charge point's pending call", async () => {
    const cp = await chargePoint("e2e-csms-error");
    const call = cp.client.call("Authorize", { idTag: "TAG1" });
    const published = await gateway.csms.on("ocpp/cp/e2e-csms-error");
    await gateway.csms.publish("ocpp/cs/e2e-csms-error", {
      MessageTypeId: 4,
      UniqueId: published.body.UniqueId,
      ErrorCode: "InternalError",
      ErrorDescription: "backend down",
      ErrorDetails: { retry: true },
    });
    await expect(call).rejects.toMatchObject({ rpcErrorCode: "InternalError", message: "backend down", details: { retry: true } });
  });
});

describe("invalid downstream envelopes", () => {
  it("are not sent; the CSMS gets a gateway CALLERROR for the UniqueId", async () => {
    const cp = await chargePoint("e2e-bad-envelope");
    await gateway.csms.publish("ocpp/cs/e2e-bad-envelope", { MessageTypeId: 2, UniqueId: "b-1", Action: "Reset" });
    const error = await gateway.csms.on("ocpp/cp/e2e-bad-envelope/Reply", "b-1");
    expect(error.body).toMatchObject({ MessageTypeId: 4, UniqueId: "b-1", ErrorCode: "ProtocolError", Origin: "gateway" });
    await gateway.csms.publish("ocpp/cs/e2e-bad-envelope", "{not json");
    await gateway.csms.publish("ocpp/cs/e2e-bad-envelope", { MessageTypeId: 2, UniqueId: "b-2", Action: "Reset", Payload: { type: "Soft" } });
    await gateway.csms.on("ocpp/cp/e2e-bad-envelope/Reply", "b-2");
    expect(cp.received.map((f) => f[1])).toEqual(["b-2"]);
  });
});

describe("many charge points", () => {
  it("50 charge points at once each see only their own commands", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `e2e-fleet-${String(i).padStart(2, "0")}`);
    const received = new Map<string, unknown[]>();
    await Promise.all(
      ids.map(async (id) => {
        const cp = await chargePoint(id);
        received.set(id, []);
        cp.client.handle("DataTransfer", async ({ params }: { params?: unknown }) => {
          received.get(id)?.push(params);
          return { status: "Accepted", data: id };
        });
        return cp;
      }),
    );
    await Promise.all(
      ids.map((id) =>
        gateway.csms.publish(`ocpp/cs/${id}`, { MessageTypeId: 2, UniqueId: `dt-${id}`, Action: "DataTransfer", Payload: { vendorId: "test", data: id } }),
      ),
    );
    const replies = await Promise.all(ids.map((id) => gateway.csms.on(`ocpp/cp/${id}/Reply`, `dt-${id}`, 20_000)));
    for (const [i, id] of ids.entries()) {
      expect(received.get(id)).toEqual([{ vendorId: "test", data: id }]);
      expect(replies[i]?.body).toEqual({ MessageTypeId: 3, UniqueId: `dt-${id}`, Action: "DataTransfer", Payload: { status: "Accepted", data: id } });
    }
  });
});
