// The management API end to end against the gateway as `npm start` runs it: EMQX's example calls verbatim,
// authentication with ocpp-rpc as the charge point, a changed mountpoint, and kick.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectChargePoint, lastCallId, type RecordingClient } from "./support/charge-point";
import { Csms } from "./support/csms";

let csms: Csms;
const clients: RecordingClient[] = [];

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${inject("gatewayHttp")}/api/v5${path}`, {
    method,
    headers: { Authorization: inject("adminAuth"), "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  csms = await Csms.connect(inject("mqttUrl"), "#");
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.client.close({ code: 1000 })));
  await api("DELETE", "/gateways/ocpp/authentication");
  await api("PUT", "/gateways/ocpp", { mountpoint: "ocpp/" });
  await csms?.close();
});

describe("EMQX's example calls (reference §8), verbatim", () => {
  it("configure the authenticator, add a user, read the gateway, toggle enable", async () => {
    const authenticator = {
      backend: "built_in_database",
      mechanism: "password_based",
      password_hash_algorithm: { name: "sha256", salt_position: "suffix" },
      user_id_type: "username",
    };
    expect((await api("POST", "/gateways/ocpp/authentication", authenticator)).status).toBe(201);
    expect(await (await api("GET", "/gateways/ocpp/authentication")).json()).toMatchObject(authenticator);
    const user = await api("POST", "/gateways/ocpp/authentication/users", { user_id: "e2e-secure", password: "p4ss:word", is_superuser: false });
    expect(user.status).toBe(201);
    expect(await user.json()).toEqual({ user_id: "e2e-secure", is_superuser: false });
    const gateway = (await (await api("GET", "/gateways/ocpp")).json()) as Record<string, unknown>;
    expect(gateway).toMatchObject({ name: "ocpp", status: "running", enable: true, mountpoint: "ocpp/" });
    expect((await api("PUT", "/gateways/ocpp/enable/false")).status).toBe(204);
    expect(await (await api("GET", "/gateways/ocpp")).json()).toMatchObject({ enable: false });
    expect((await api("PUT", "/gateways/ocpp/enable/true")).status).toBe(204);
  });

  it("a charge point with the user's credentials connects; a wrong or missing password gets 401", async () => {
    const cp = await connectChargePoint(inject("gatewayWs"), "e2e-secure", "p4ss:word");
    clients.push(cp);
    expect(cp.client.protocol).toBe("ocpp1.6");
    await expect(connectChargePoint(inject("gatewayWs"), "e2e-secure", "wrong")).rejects.toMatchObject({ code: 401 });
    await expect(connectChargePoint(inject("gatewayWs"), "e2e-secure")).rejects.toMatchObject({ code: 401 });
  });

  it("the clients API lists it; DELETE kicks it, closing the socket and emitting the disconnected event", async () => {
    const list = (await (await api("GET", "/gateways/ocpp/clients?like_clientid=e2e-secure")).json()) as { data: Record<string, unknown>[]; meta: Record<string, unknown> };
    expect(list.meta).toMatchObject({ count: 1, hasnext: false });
    expect(list.data[0]).toMatchObject({ clientid: "e2e-secure", username: "e2e-secure", proto_name: "OCPP", proto_ver: "1.6", connected: true });
    const cp = clients.find((c) => c.client.identity === "e2e-secure") as RecordingClient;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => cp.client.once("close", resolve));
    expect((await api("DELETE", "/gateways/ocpp/clients/e2e-secure")).status).toBe(204);
    expect(await closed).toMatchObject({ code: 1000, reason: "kicked" });
    const event = await csms.next((e) => e.topic === "ocpp/events/e2e-secure" && e.body.event === "client.disconnected");
    expect(event.body).toMatchObject({ clientid: "e2e-secure", reason: "kicked", username: "e2e-secure" });
    expect((await api("GET", "/gateways/ocpp/clients/e2e-secure")).status).toBe(404);
  });
});

describe("configuration changes", () => {
  it("configuration that cannot work is refused with 400 naming the fields, and the API keeps answering", async () => {
    const refused = async (body: unknown, message: RegExp) => {
      const res = await api("PUT", "/gateways/ocpp", body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(message) });
    };
    // The error topic under the downstream subscription: each gateway error envelope would come back downstream.
    await refused({ dnstream: { topic: "cp/${cid}/Reply" } }, /upstream\.reply_topic: .*dnstream\.topic.*upstream\.error_topic: .*dnstream\.topic/);
    // A charge point path over the management API would turn every API call, the one undoing it included, into an upgrade.
    await refused({ listeners: [{ type: "ws", name: "default", websocket: { path: "/api" } }] }, /listeners\.0\.websocket\.path/);
    await refused({ events_topic: "events/all" }, /events_topic: must contain \$\{cid\}/);
    await refused({ dnstream: { session_expiry_interval: "999999999h" } }, /dnstream\.session_expiry_interval: must be at most 168h/);
    const gateway = await api("GET", "/gateways/ocpp");
    expect(gateway.status).toBe(200);
    expect(await gateway.json()).toMatchObject({ dnstream: { topic: "cs/${cid}" }, listeners: [{ websocket: { path: "/ocpp" } }], events_topic: "events/${cid}" });
  });

  it("a changed mountpoint applies to the next connection, both ways", async () => {
    await api("DELETE", "/gateways/ocpp/authentication");
    expect((await api("PUT", "/gateways/ocpp", { mountpoint: "tenant7/" })).status).toBe(204);
    const cp = await connectChargePoint(inject("gatewayWs"), "e2e-tenant");
    clients.push(cp);
    const answered = cp.client.call("Heartbeat", {});
    const call = await csms.on("tenant7/cp/e2e-tenant");
    expect(call.body).toMatchObject({ Action: "Heartbeat", UniqueId: lastCallId(cp, "Heartbeat") });
    await csms.publish("tenant7/cs/e2e-tenant", { MessageTypeId: 3, UniqueId: call.body.UniqueId, Payload: { currentTime: "2023-12-01T14:20:39Z" } });
    expect(await answered).toEqual({ currentTime: "2023-12-01T14:20:39Z" });
    expect(csms.all("ocpp/cp/e2e-tenant")).toEqual([]);
    expect((await api("PUT", "/gateways/ocpp", { mountpoint: "ocpp/" })).status).toBe(204);
  });

  it("an invalid change is refused with the field path and leaves the configuration as it was", async () => {
    const res = await api("PUT", "/gateways/ocpp", { upstream: { topic: "cp/#" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("upstream.topic") });
    expect(await (await api("GET", "/gateways/ocpp")).json()).toMatchObject({ upstream: { topic: "cp/${cid}" } });
  });
});
