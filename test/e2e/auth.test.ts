// Charge point and admin authentication end to end, against the gateway as `npm start` runs it: ocpp-rpc as the
// charge point, raw `ws` for requests a charge point library would not send, `fetch` and `node:http` for the
// management API. Other source addresses are real: the client socket is bound to another loopback address (127.0.0.2
// and up; Linux routes all of 127/8 to lo), and npm start's front hands the peer address to the Worker as
// CF-Connecting-IP, replacing any the client sends. Requests without a local address come from 127.0.0.1.
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { connectChargePoint, type RecordingClient } from "./support/charge-point";
import { useGateway } from "./support/context";

const gateway = useGateway();
const clients: RecordingClient[] = [];
const sockets: WebSocket[] = [];

async function api(method: string, path: string, body?: unknown, init: { auth?: string } = {}): Promise<Response> {
  return fetch(`${inject("gatewayHttp")}/api/v5/gateways/ocpp${path}`, {
    method,
    headers: { Authorization: init.auth ?? inject("adminAuth"), "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The management API's status and Retry-After for `GET /gateways/ocpp` from `localAddress`. */
function adminFrom(localAddress: string, auth: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(`${inject("gatewayHttp")}/api/v5/gateways/ocpp`), { localAddress, headers: { Authorization: auth } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ...(typeof res.headers["retry-after"] === "string" ? { retryAfter: res.headers["retry-after"] } : {}) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

interface Upgrade {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  readonly ws?: WebSocket;
}

/** A raw upgrade, from `localAddress` when given: 101 (socket kept open until the file ends) or the refusal's status, headers and JSON body. */
function upgrade(cid: string, headers: Record<string, string> = {}, localAddress?: string): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${inject("gatewayWs")}/${encodeURIComponent(cid)}`, ["ocpp1.6"], { headers, ...(localAddress === undefined ? {} : { localAddress }) });
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
    });
    ws.on("open", () => {
      sockets.push(ws);
      resolve({ status: 101, headers: {}, body: {}, ws });
    });
    ws.on("error", reject);
  });
}

async function chargePoint(identity: string, password: string): Promise<RecordingClient> {
  const cp = await connectChargePoint(inject("gatewayWs"), identity, password);
  clients.push(cp);
  return cp;
}

async function setAuthenticator(body: Record<string, unknown> = {}): Promise<void> {
  await api("DELETE", "/authentication");
  const res = await api("POST", "/authentication", { backend: "built_in_database", mechanism: "password_based", user_id_type: "username", ...body });
  expect(res.status).toBe(201);
}

async function addUser(userId: string, password: string, isSuperuser = false): Promise<void> {
  const res = await api("POST", "/authentication/users", { user_id: userId, password, is_superuser: isSuperuser });
  expect(res.status, await res.clone().text()).toBe(201);
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.client.close({ code: 1000 }).catch(() => undefined)));
  for (const ws of sockets.splice(0)) ws.close(1000);
});

afterAll(async () => {
  await api("DELETE", "/authentication");
});

describe("binding (user_id_type username)", () => {
  it("one charger's password does not open another's session; the real one stays connected", async () => {
    await setAuthenticator();
    await addUser("e2e-bind-1", "pw-1");
    await addUser("e2e-bind-2", "pw-2");
    const csms = gateway.csms;
    const real = await chargePoint("e2e-bind-2", "pw-2");
    let closed = false;
    real.client.once("close", () => (closed = true));
    const impostor = await upgrade("e2e-bind-2", { Authorization: basic("e2e-bind-1", "pw-1") });
    expect(impostor.status).toBe(401);
    expect(impostor.body).toMatchObject({ code: "UNAUTHORIZED", reason: "bad_username_or_password" });
    // The CSMS's commands still reach the real charger.
    real.client.handle("UnlockConnector", async () => ({ status: "Unlocked" }));
    await csms.publish("ocpp/cs/e2e-bind-2", { MessageTypeId: 2, UniqueId: "bind-1", Action: "UnlockConnector", Payload: { connectorId: 1 } });
    expect((await csms.on("ocpp/cp/e2e-bind-2/Reply", "bind-1")).body).toMatchObject({ Payload: { status: "Unlocked" } });
    const listed = (await (await api("GET", "/clients/e2e-bind-2")).json()) as Record<string, unknown>;
    expect(listed).toMatchObject({ clientid: "e2e-bind-2", username: "e2e-bind-2", connected: true });
    expect(closed).toBe(false);
  });
});

describe("throttling", () => {
  it("guesses for one user over many URL ids and addresses are locked after 5, not per URL id", async () => {
    await setAuthenticator();
    await addUser("e2e-guess", "right");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await upgrade(`e2e-guess-url-${i}`, { Authorization: basic("e2e-guess", `guess-${i}`) }, `127.0.0.${i + 2}`);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });

  it("a locked user's charger still connects from its known address; a new address gets 429 with Retry-After", async () => {
    await setAuthenticator();
    await addUser("e2e-known", "right");
    await (await chargePoint("e2e-known", "right")).client.close({ code: 1000 });
    for (let i = 0; i < 6; i++) await upgrade("e2e-known", { Authorization: basic("e2e-known", `guess-${i}`) }, "127.0.0.10");
    const stranger = await upgrade("e2e-known", { Authorization: basic("e2e-known", "right") }, "127.0.0.11");
    expect(stranger.status).toBe(429);
    expect(stranger.headers["retry-after"]).toMatch(/^[1-9][0-9]*$/);
    expect(stranger.body).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "too_many_failed_logins" });
    const cp = await chargePoint("e2e-known", "right");
    expect(cp.client.protocol).toBe("ocpp1.6");
  });

  it("the admin API: wrong secrets lock the key for unknown addresses; a known address still gets in", async () => {
    expect((await api("GET", "")).status).toBe(200);
    const wrong = `Basic ${Buffer.from("e2e-admin:guess").toString("base64")}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await adminFrom("127.0.0.12", wrong)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const fromAttacker = await adminFrom("127.0.0.12", inject("adminAuth"));
    expect(fromAttacker.status).toBe(429);
    expect(fromAttacker.retryAfter).toMatch(/^[1-9][0-9]*$/);
    expect((await adminFrom("127.0.0.13", inject("adminAuth"))).status).toBe(429);
    expect((await api("GET", "")).status).toBe(200);
  });
});

describe("ids", () => {
  it("a 64-character id of four-byte letters gets a user, is listed, and its charger connects", async () => {
    await setAuthenticator();
    const id = "\u{20000}".repeat(64);
    await addUser(id, "pw");
    const list = (await (await api("GET", "/authentication/users")).json()) as { data: { user_id: string }[] };
    expect(list.data.map((u) => u.user_id)).toContain(id);
    const cp = await chargePoint(id, "pw");
    expect(cp.client.protocol).toBe("ocpp1.6");
  });

  it.each([["e2e:colon"], ["\u{1F600}".repeat(60)]])("a user id that could never log in (%j) is refused with 400", async (userId) => {
    await setAuthenticator();
    const res = await api("POST", "/authentication/users", { user_id: userId, password: "pw" });
    expect(res.status).toBe(400);
  });

  it.each([
    ["CP\u202E001"],
    ["CP\u200B001"],
    ["\uFEFFCP001"],
    ["CP\u00A0001"],
    ["CP\u2028001"],
    [" "],
    ["\u0421P001"],
    ["CP\uFF0F001"],
    ["CP-e\u0301"],
  ])("%j is refused with 400 unsupported_clientid", async (cid) => {
    const res = await upgrade(cid);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "BAD_REQUEST", reason: "unsupported_clientid" });
  });
});

describe("what is kept with a connection", () => {
  it("user_id_type clientid: a Basic user name other than the id is not recorded; the address is the connection's, not one the client sends", async () => {
    await setAuthenticator({ user_id_type: "clientid" });
    await addUser("e2e-cid", "pw");
    const res = await upgrade("e2e-cid", { Authorization: basic(`someone-${"x".repeat(3000)}`, "pw"), "CF-Connecting-IP": "not an address" }, "127.0.0.14");
    expect(res.status).toBe(101);
    const listed = (await (await api("GET", "/clients/e2e-cid")).json()) as Record<string, unknown>;
    expect(listed).toMatchObject({ clientid: "e2e-cid", username: null, ip_address: "127.0.0.14" });
  });
});
