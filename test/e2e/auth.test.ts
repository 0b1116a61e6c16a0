// Charge point and admin authentication end to end, against the gateway as `npm start` runs it: ocpp-rpc as the
// charge point, raw `ws` for requests a charge point library would not send, `fetch` and `node:http` for the
// management API. Other source addresses are real: the client socket is bound to another loopback address
// (127.0.0.2 and up; Linux routes all of 127/8 to lo), and wrangler dev hands the peer address to the Worker as
// CF-Connecting-IP. Requests without a local address come from 127.0.0.1.
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { LOGINS_PER_MINUTE } from "../../src/auth/throttle";
import { connectChargePoint, WS_CLIENT_OPTIONS, type RecordingClient } from "./support/charge-point";
import { useGateway } from "./support/context";

const gateway = useGateway();
const clients: RecordingClient[] = [];
const sockets: WebSocket[] = [];

async function api(method: string, path: string, body?: unknown, init: { auth?: string; ip?: string } = {}): Promise<Response> {
  return fetch(`${inject("gatewayHttp")}/api/v5/gateways/ocpp${path}`, {
    method,
    headers: {
      Authorization: init.auth ?? inject("adminAuth"),
      "Content-Type": "application/json",
      ...(init.ip === undefined ? {} : { "CF-Connecting-IP": init.ip }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

interface Upgrade {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  readonly ws?: WebSocket;
}

/**
 * A raw upgrade, from `localAddress` when given: 101 (socket kept open until the file ends, or closed at once with
 * `close`) or the refusal's status, headers and JSON body.
 */
function upgrade(cid: string, headers: Record<string, string> = {}, from: { localAddress?: string; close?: boolean } = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const options = { ...WS_CLIENT_OPTIONS, headers, ...(from.localAddress === undefined ? {} : { localAddress: from.localAddress }) };
    const ws = new WebSocket(`${inject("gatewayWs")}/${encodeURIComponent(cid)}`, ["ocpp1.6"], options);
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
    });
    ws.on("open", () => {
      if (from.close === true) ws.close(1000);
      else sockets.push(ws);
      resolve({ status: 101, headers: {}, body: {}, ws });
    });
    ws.on("error", reject);
  });
}

/** The management API's status and Retry-After for `GET /gateways/ocpp` from `localAddress`. */
function adminFrom(localAddress: string, auth: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${inject("gatewayHttp")}/api/v5/gateways/ocpp`);
    const req = httpRequest(url, { localAddress, headers: { Authorization: auth } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ...(typeof res.headers["retry-after"] === "string" ? { retryAfter: res.headers["retry-after"] } : {}) }));
    });
    req.on("error", reject);
    req.end();
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
  it("guesses for one user from one address over many URL ids are refused after 5, not per URL id", async () => {
    await setAuthenticator();
    await addUser("e2e-guess", "right");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await upgrade(`e2e-guess-url-${i}`, { Authorization: basic("e2e-guess", `guess-${i}`) }, { localAddress: "127.0.0.2" });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });

  it("after 5 wrong passwords from each of two addresses, the charger gets in with its password from an address it never used", async () => {
    await setAuthenticator();
    await addUser("e2e-newcomer", "right");
    for (const localAddress of ["127.0.0.3", "127.0.0.5"]) {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await upgrade("e2e-newcomer", { Authorization: basic("e2e-newcomer", `guess-${i}`) }, { localAddress })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    }
    const locked = await upgrade("e2e-newcomer", { Authorization: basic("e2e-newcomer", "right") }, { localAddress: "127.0.0.3" });
    expect(locked.status).toBe(429);
    expect(locked.headers["retry-after"]).toMatch(/^[1-9][0-9]*$/);
    expect(locked.body).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "too_many_failed_logins" });
    expect((await upgrade("e2e-newcomer", { Authorization: basic("e2e-newcomer", "right") }, { localAddress: "127.0.0.4" })).status).toBe(101);
  });

  it("while a stranger guesses its password, a charger connects from its known address and from a new one", async () => {
    await setAuthenticator();
    await addUser("e2e-known", "right");
    await (await chargePoint("e2e-known", "right")).client.close({ code: 1000 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await upgrade("e2e-known", { Authorization: basic("e2e-known", `guess-${i}`) }, { localAddress: "127.0.0.6" })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const cp = await chargePoint("e2e-known", "right");
    expect(cp.client.protocol).toBe("ocpp1.6");
    await cp.client.close({ code: 1000 });
    expect((await upgrade("e2e-known", { Authorization: basic("e2e-known", "right") }, { localAddress: "127.0.0.7" })).status).toBe(101);
  });

  it("the admin API: wrong secrets from two addresses lock only those addresses; the right secret works from an address never used", async () => {
    const right = inject("adminAuth");
    expect((await api("GET", "")).status).toBe(200);
    const wrong = `Basic ${Buffer.from("e2e-admin:guess").toString("base64")}`;
    for (const localAddress of ["127.0.0.8", "127.0.0.9"]) {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await adminFrom(localAddress, wrong)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    }
    const fromAttacker = await adminFrom("127.0.0.8", right);
    expect(fromAttacker.status).toBe(429);
    expect(fromAttacker.retryAfter).toMatch(/^[1-9][0-9]*$/);
    expect((await adminFrom("127.0.1.1", right)).status).toBe(200);
    expect((await api("GET", "")).status).toBe(200);
  });

  it(`one charger's reconnect loop from its known address gets ${LOGINS_PER_MINUTE} logins a minute and starves nobody: a charger from a new address gets in meanwhile`, async () => {
    await setAuthenticator({ password_hash_algorithm: { name: "pbkdf2", iterations: 100_000 } });
    await addUser("e2e-loop", "right");
    await addUser("e2e-bystander", "right");
    const loopAuth = { Authorization: basic("e2e-loop", "right") };
    // Its first login makes 127.0.0.1 a known source of e2e-loop.
    expect((await upgrade("e2e-loop", loopAuth, { close: true })).status).toBe(101);
    const statuses: number[] = [];
    const reasons = new Set<unknown>();
    let looping = true;
    const loop = async () => {
      while (looping) {
        const res = await upgrade("e2e-loop", loopAuth, { close: true });
        statuses.push(res.status);
        if (res.status !== 101) reasons.add(res.body.reason);
      }
    };
    // A tight reconnect loop: a few connections in flight at any time, each replacing the one before.
    const loops = Array.from({ length: 5 }, loop);
    const bystander: number[] = [];
    try {
      // The loop is under way before the other charger comes.
      while (statuses.length < 25) await new Promise((r) => setTimeout(r, 50));
      while (bystander.length < 10 && bystander.at(-1) !== 101) {
        await new Promise((r) => setTimeout(r, 500));
        bystander.push((await upgrade("e2e-bystander", { Authorization: basic("e2e-bystander", "right") }, { localAddress: "127.0.1.2", close: true })).status);
      }
    } finally {
      looping = false;
      await Promise.all(loops);
    }
    expect(bystander.at(-1)).toBe(101);
    // The first login and the loop's together: at most the bound, the rest refused before hashing.
    expect(statuses.filter((s) => s === 101).length).toBeLessThanOrEqual(LOGINS_PER_MINUTE - 1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect([...reasons]).toEqual(["too_many_logins"]);
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
  it("user_id_type clientid: a Basic user name other than the id is not recorded; a client's CF-Connecting-IP is replaced by its address", async () => {
    await setAuthenticator({ user_id_type: "clientid" });
    await addUser("e2e-cid", "pw");
    const res = await upgrade("e2e-cid", { Authorization: basic(`someone-${"x".repeat(3000)}`, "pw"), "CF-Connecting-IP": "not an address" }, { localAddress: "127.0.0.14" });
    expect(res.status).toBe(101);
    const listed = (await (await api("GET", "/clients/e2e-cid")).json()) as Record<string, unknown>;
    expect(listed).toMatchObject({ clientid: "e2e-cid", username: null, ip_address: "127.0.0.14" });
  });
});
