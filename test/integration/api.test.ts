// The management API through the real Worker: every endpoint's success and failure paths.
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/http/app";
import { userKey } from "../../src/auth/store";
import { CONFIG_KV_KEY } from "../../src/config/store";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe } from "../worker-helpers/mqtt-probe";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;
const BASE = "http://gateway/api/v5/gateways/ocpp";

function api(path: string, init: { method?: string; body?: unknown; auth?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (init.auth !== null) headers.Authorization = init.auth ?? AUTH;
  return SELF.fetch(`${BASE}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
}

async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { code: string; message: string };
  expect(body.code).toBe(code);
  if (message) expect(body.message).toMatch(message);
}

afterEach(async () => {
  for (const key of (await env.GATEWAY_KV.list()).keys) await env.GATEWAY_KV.delete(key.name);
  // The defaults again through the API as well, so the shards drop the configuration they cached from the test (a
  // change written to KV alone reaches them within their cache's lifetime, a minute); then no override is stored.
  expect((await api("", { method: "PUT", body: {} })).status).toBe(204);
  await env.GATEWAY_KV.delete(CONFIG_KV_KEY);
});

describe("admin authentication", () => {
  it.each([
    ["no credentials", null],
    ["a wrong secret", `Basic ${btoa("test-key:nope")}`],
    ["a wrong key", `Basic ${btoa("other:test-secret-0123456789abcdefghijkl")}`],
    ["another scheme", "Bearer test-secret-0123456789abcdefghijkl"],
  ])("%s → 401 JSON with a Basic challenge", async (_what, auth) => {
    const res = await api("", { auth });
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
    await expectError(res, 401, "UNAUTHORIZED");
  });

  it("with no API key configured, every call is refused with 503", async () => {
    const app = createApp();
    const res = await app.request("/api/v5/gateways/ocpp", { headers: { Authorization: AUTH } }, { ...env, ADMIN_API_KEY: "", ADMIN_API_SECRET: "" });
    await expectError(res, 503, "SERVICE_UNAVAILABLE", /ADMIN_API_KEY/);
  });

  it("the OpenAPI document is served without credentials and describes every endpoint with the validators' schemas", async () => {
    const res = await SELF.fetch("http://gateway/api/v5/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: object }> } };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/gateways/ocpp",
      "/gateways/ocpp/authentication",
      "/gateways/ocpp/authentication/users",
      "/gateways/ocpp/authentication/users/{user_id}",
      "/gateways/ocpp/broker",
      "/gateways/ocpp/broker/restart",
      "/gateways/ocpp/clients",
      "/gateways/ocpp/clients/{clientid}",
      "/gateways/ocpp/clients/{clientid}/trace",
      "/gateways/ocpp/enable/{enable}",
      "/gateways/ocpp/metrics",
    ]);
    expect(Object.keys(doc.components.schemas.GatewayConfig?.properties ?? {})).toContain("message_format_checking");
    expect(JSON.stringify(doc)).not.toContain("#/definitions/");
  });
});

describe("gateway configuration", () => {
  it("GET returns the effective configuration with name, status and durations as strings", async () => {
    const res = await api("");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name: "ocpp",
      status: "running",
      enable: true,
      mountpoint: "ocpp/",
      default_heartbeat_interval: "60s",
      idle_timeout: "30s",
      upstream: { topic: "cp/${cid}", reply_topic: "cp/${cid}/Reply", error_topic: "cp/${cid}/Reply" },
      dnstream: { topic: "cs/${cid}", max_mqueue_len: 100 },
      listeners: [{ type: "ws", name: "default", websocket: { path: "/ocpp" } }],
    });
  });

  it("PUT merges top-level keys (204) and ignores the read-only ones a GET returns", async () => {
    const current = (await (await api("")).json()) as Record<string, unknown>;
    expect((await api("", { method: "PUT", body: { ...current, mountpoint: "tenant1/", idle_timeout: "45s" } })).status).toBe(204);
    expect((await api("", { method: "PUT", body: { heartbeat_checking_times_backoff: 3 } })).status).toBe(204);
    expect(await (await api("")).json()).toMatchObject({ mountpoint: "tenant1/", idle_timeout: "45s", heartbeat_checking_times_backoff: 3 });
  });

  it.each([
    [{ upstream: { topic: "cp/#" } }, /upstream\.topic/],
    [{ default_heartbeat_interval: 60 }, /default_heartbeat_interval: must be string/],
    [{ dnstream: { topic: "cs/all" } }, /dnstream\.topic: must contain \$\{cid\}/],
    [{ message_format_checking: "sometimes" }, /message_format_checking: must be equal to one of the allowed values/],
    [{ no_such_field: true }, /no_such_field/],
  ])("PUT %j → 400 naming the field", async (body, message) => {
    await expectError(await api("", { method: "PUT", body }), 400, "BAD_REQUEST", message);
    expect(await env.GATEWAY_KV.get(CONFIG_KV_KEY)).toBeNull();
  });

  it.each([
    [{ upstream: { error_topic: "cs/${cid}" } }, /upstream\.error_topic: 'ocpp\/cs\/\$\{cid\}' falls under the downstream subscription 'ocpp\/cs\/\+' \(dnstream\.topic\)/],
    [{ dnstream: { topic: "cp/${cid}/+" } }, /upstream\.reply_topic: .*'ocpp\/cp\/\+\/\+' \(dnstream\.topic\)/],
    [{ events_topic: "events/all" }, /events_topic: must contain \$\{cid\} or \$\{clientid\} as a whole topic level/],
    [{ default_heartbeat_interval: "999999999h" }, /default_heartbeat_interval: must be at most 24h/],
    [{ listeners: [{ type: "ws", name: "default", websocket: { path: "/api" } }] }, /listeners\.0\.websocket\.path: must not be \/ or \/api/],
  ])("PUT %j → 400 naming the field (configuration that cannot work)", async (body, message) => {
    await expectError(await api("", { method: "PUT", body }), 400, "BAD_REQUEST", message);
    expect(await env.GATEWAY_KV.get(CONFIG_KV_KEY)).toBeNull();
    expect((await api("")).status).toBe(200);
  });

  it("a stored override that fails a newer rule is ignored, shown by GET, and a PUT can fix it", async () => {
    // As if written before the rules existed: a charge point path over the API and a topic looping downstream.
    const stale = {
      mountpoint: "tenant1/",
      listeners: [{ type: "ws", name: "default", websocket: { path: "/api" } }],
      upstream: { error_topic: "cs/${cid}" },
    };
    await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify(stale));
    const res = await api("");
    expect(res.status).toBe(200);
    const view = (await res.json()) as Record<string, unknown>;
    // The deploy-time configuration is in force; the problems name the fields.
    expect(view).toMatchObject({ mountpoint: "ocpp/", listeners: [{ websocket: { path: "/ocpp" } }] });
    expect((view.stored_config_problems as string[]).join("; ")).toMatch(/listeners\.0\.websocket\.path.*upstream\.error_topic|upstream\.error_topic.*listeners\.0\.websocket\.path/);
    // Charge points are served under the path in force (a plain GET there is an upgrade refused with 426).
    expect((await SELF.fetch("http://gateway/ocpp/stale-cfg")).status).toBe(426);
    // A PUT that fixes only one field still names the other; fixing both stores the override again.
    await expectError(
      await api("", { method: "PUT", body: { listeners: [{ type: "ws", name: "default", websocket: { path: "/chargers" } }] } }),
      400,
      "BAD_REQUEST",
      /upstream\.error_topic/,
    );
    const fixed = { listeners: [{ type: "ws", name: "default", websocket: { path: "/chargers" } }], upstream: { error_topic: "cp/${cid}/Error" } };
    expect((await api("", { method: "PUT", body: fixed })).status).toBe(204);
    const after = (await (await api("")).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ mountpoint: "tenant1/", listeners: [{ websocket: { path: "/chargers" } }] });
    expect(after.stored_config_problems).toBeUndefined();
    // A GET written back as it is (stored_config_problems included) is accepted.
    expect((await api("", { method: "PUT", body: { ...view, listeners: after.listeners } })).status).toBe(204);
  });

  it("a key set to null in a PUT is removed from the stored configuration, even one this version does not know", async () => {
    await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify({ mountpoint: "m/", retired_field: 1 }));
    expect(((await (await api("")).json()) as { stored_config_problems: string[] }).stored_config_problems.join()).toMatch(/retired_field/);
    await expectError(await api("", { method: "PUT", body: { idle_timeout: "10s" } }), 400, "BAD_REQUEST", /retired_field/);
    expect((await api("", { method: "PUT", body: { retired_field: null } })).status).toBe(204);
    expect(await (await api("")).json()).toMatchObject({ mountpoint: "m/" });
    expect((await api("", { method: "PUT", body: { mountpoint: null } })).status).toBe(204);
    expect(await env.GATEWAY_KV.get(CONFIG_KV_KEY, "json")).toEqual({});
  });

  it("a stored override that is not a JSON object does not stop the API; a PUT replaces it", async () => {
    await env.GATEWAY_KV.put(CONFIG_KV_KEY, "{not json");
    expect((await api("")).status).toBe(200);
    expect((await api("", { method: "PUT", body: { mountpoint: "m/" } })).status).toBe(204);
    expect(await (await api("")).json()).toMatchObject({ mountpoint: "m/" });
  });

  it("PUT with a body that is not a JSON object → 400", async () => {
    await expectError(await api("", { method: "PUT", body: "{nope" }), 400, "BAD_REQUEST", /not valid JSON/);
    await expectError(await api("", { method: "PUT", body: "[1]" }), 400, "BAD_REQUEST", /JSON object/);
  });

  it("enable/false refuses new charge points with 503, existing ones stay; enable/true lets them in again", async () => {
    const csms = await MqttProbe.connect();
    await csms.subscribe("ocpp/cp/api-existing");
    const existing = await ChargePointSocket.open("api-existing");
    expect((await api("/enable/false", { method: "PUT" })).status).toBe(204);
    expect(await (await api("")).json()).toMatchObject({ enable: false, status: "stopped" });
    const refused = await SELF.fetch("http://gateway/ocpp/api-new", { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "ocpp1.6" } });
    expect(refused.status).toBe(503);
    // The connection made before is still relayed.
    existing.send([2, "still-here", "Heartbeat", {}]);
    await csms.next((m) => m.json().UniqueId === "still-here");
    csms.close();
    expect(existing.closed).toBeUndefined();
    expect((await api("/enable/true", { method: "PUT" })).status).toBe(204);
    (await ChargePointSocket.open("api-new")).close();
    await expectError(await api("/enable/maybe", { method: "PUT" }), 400, "BAD_REQUEST", /true or false/);
    existing.close();
  });
});

describe("authentication", () => {
  const authenticator = {
    backend: "built_in_database",
    mechanism: "password_based",
    password_hash_algorithm: { name: "sha256", salt_position: "suffix" },
    user_id_type: "username",
  };

  it("GET without an authenticator → 204; POST → 201; POST again → 409; PUT → 200; DELETE → 204, then 404", async () => {
    expect((await api("/authentication")).status).toBe(204);
    const created = await api("/authentication", { method: "POST", body: authenticator });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ ...authenticator, enable: true });
    await expectError(await api("/authentication", { method: "POST", body: authenticator }), 409, "ALREADY_EXISTS");
    const changed = await api("/authentication", { method: "PUT", body: { ...authenticator, user_id_type: "clientid" } });
    expect(changed.status).toBe(200);
    expect(await (await api("/authentication")).json()).toMatchObject({ user_id_type: "clientid" });
    expect((await api("/authentication", { method: "DELETE" })).status).toBe(204);
    await expectError(await api("/authentication", { method: "DELETE" }), 404, "RESOURCE_NOT_FOUND");
    await expectError(await api("/authentication", { method: "PUT", body: authenticator }), 404, "RESOURCE_NOT_FOUND");
  });

  it.each([
    [{ ...authenticator, backend: "mysql" }, /backend/],
    [{ ...authenticator, password_hash_algorithm: { name: "md5" } }, /password_hash_algorithm/],
    [{ ...authenticator, password_hash_algorithm: { name: "pbkdf2", iterations: 10 } }, /password_hash_algorithm/],
    [{ ...authenticator, user_id_type: "email" }, /user_id_type/],
  ])("an invalid authenticator %j → 400", async (body, message) => {
    await expectError(await api("/authentication", { method: "POST", body }), 400, "BAD_REQUEST", message);
  });

  it("users: add, list with paging and filter, get, change, remove; 404 and 409 where due", async () => {
    await expectError(await api("/authentication/users"), 404, "RESOURCE_NOT_FOUND", /no authenticator/);
    await api("/authentication", { method: "POST", body: authenticator });
    for (const id of ["cp-a", "cp-b", "cp-c", "other"]) {
      const res = await api("/authentication/users", { method: "POST", body: { user_id: id, password: `pw-${id}`, is_superuser: id === "other" } });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ user_id: id, is_superuser: id === "other" });
    }
    await expectError(await api("/authentication/users", { method: "POST", body: { user_id: "cp-a", password: "x" } }), 409, "ALREADY_EXISTS");
    await expectError(await api("/authentication/users", { method: "POST", body: { user_id: "cp-z" } }), 400, "BAD_REQUEST", /password/);
    expect(await (await api("/authentication/users?page=1&limit=2&like_user_id=cp-")).json()).toEqual({
      data: [
        { user_id: "cp-a", is_superuser: false },
        { user_id: "cp-b", is_superuser: false },
      ],
      meta: { page: 1, limit: 2, count: 3, hasnext: true },
    });
    expect(await (await api("/authentication/users?page=2&limit=2&like_user_id=cp-")).json()).toMatchObject({
      data: [{ user_id: "cp-c" }],
      meta: { hasnext: false },
    });
    await expectError(await api("/authentication/users?limit=0"), 400, "BAD_REQUEST", /limit/);
    expect(await (await api("/authentication/users/other")).json()).toEqual({ user_id: "other", is_superuser: true });
    await expectError(await api("/authentication/users/nobody"), 404, "RESOURCE_NOT_FOUND");
    const changed = await api("/authentication/users/cp-a", { method: "PUT", body: { is_superuser: true } });
    expect(await changed.json()).toEqual({ user_id: "cp-a", is_superuser: true });
    await expectError(await api("/authentication/users/cp-a", { method: "PUT", body: { user_id: "cp-b", password: "x" } }), 400, "BAD_REQUEST");
    await expectError(await api("/authentication/users/nobody", { method: "PUT", body: { password: "x" } }), 404, "RESOURCE_NOT_FOUND");
    expect((await api("/authentication/users/cp-c", { method: "DELETE" })).status).toBe(204);
    await expectError(await api("/authentication/users/cp-c", { method: "DELETE" }), 404, "RESOURCE_NOT_FOUND");
  });

  it("passwords are never stored or returned in clear", async () => {
    await api("/authentication", { method: "POST", body: { ...authenticator, password_hash_algorithm: { name: "pbkdf2", mac_fun: "sha512", iterations: 2000, dk_length: 32 } } });
    const password = "correct horse battery staple";
    const responses = [
      await api("/authentication/users", { method: "POST", body: { user_id: "secretive", password } }),
      await api("/authentication/users/secretive", { method: "PUT", body: { password } }),
      await api("/authentication/users/secretive"),
      await api("/authentication/users"),
    ];
    for (const res of responses) expect(await res.text()).not.toContain(password);
    const stored: string[] = [];
    for (const key of (await env.GATEWAY_KV.list()).keys) stored.push(`${key.name}=${await env.GATEWAY_KV.get(key.name)}`);
    expect(stored.join("\n")).not.toContain(password);
    expect(stored.join("\n")).not.toContain(btoa(password));
    const record = JSON.parse((await env.GATEWAY_KV.get(await userKey("secretive"))) as string) as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(["algorithm", "hash", "is_superuser", "salt", "user_id"]);
    expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("charge point authentication at the upgrade", () => {
  const upgrade = (cid: string, auth?: string) =>
    SELF.fetch(`http://gateway/ocpp/${cid}`, {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "ocpp1.6", ...(auth ? { Authorization: auth } : {}) },
    });
  const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

  it("with an authenticator: right credentials connect; wrong or missing ones get 401 with a challenge", async () => {
    await api("/authentication", { method: "POST", body: { backend: "built_in_database", mechanism: "password_based" } });
    await api("/authentication/users", { method: "POST", body: { user_id: "CP-AUTH", password: "s3cret:with:colons" } });
    const ok = await upgrade("CP-AUTH", basic("CP-AUTH", "s3cret:with:colons"));
    expect(ok.status).toBe(101);
    ok.webSocket?.accept();
    ok.webSocket?.close(1000);
    for (const auth of [undefined, basic("CP-AUTH", "wrong"), basic("nobody", "s3cret:with:colons"), "Bearer x"]) {
      const res = await upgrade("CP-AUTH", auth);
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm="OCPP"/);
    }
  });

  it("user_id_type clientid checks the password of the charge point id", async () => {
    await api("/authentication", { method: "POST", body: { backend: "built_in_database", mechanism: "password_based", user_id_type: "clientid" } });
    await api("/authentication/users", { method: "POST", body: { user_id: "CP-CID", password: "pw" } });
    const ok = await upgrade("CP-CID", basic("anything", "pw"));
    expect(ok.status).toBe(101);
    ok.webSocket?.accept();
    ok.webSocket?.close(1000);
    expect((await upgrade("CP-OTHER", basic("anything", "pw"))).status).toBe(401);
  });

  it("repeated failures from one address refuse that address (429 with Retry-After, even for the right password), not others", async () => {
    await api("/authentication", { method: "POST", body: { backend: "built_in_database", mechanism: "password_based" } });
    await api("/authentication/users", { method: "POST", body: { user_id: "CP-GUESS", password: "right" } });
    const from = (ip: string, password: string) =>
      SELF.fetch("http://gateway/ocpp/CP-GUESS", {
        headers: { Upgrade: "websocket", Authorization: basic("CP-GUESS", password), "CF-Connecting-IP": ip },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await from("198.51.100.1", `guess-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const locked = await from("198.51.100.1", "right");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(0);
    const elsewhere = await from("198.51.100.2", "right");
    expect(elsewhere.status).toBe(101);
    elsewhere.webSocket?.accept();
    elsewhere.webSocket?.close(1000);
    // Another user is not affected.
    await api("/authentication/users", { method: "POST", body: { user_id: "CP-FINE", password: "pw" } });
    const fine = await upgrade("CP-FINE", basic("CP-FINE", "pw"));
    expect(fine.status).toBe(101);
    fine.webSocket?.accept();
    fine.webSocket?.close(1000);
  });
});

describe("broker links", () => {
  it("shows the link of each shard in use, and POST /broker/restart reconnects them (with ?reset=true too)", async () => {
    (await ChargePointSocket.open("api-link")).close();
    const status = async () => (await (await api("/broker")).json()) as { url: string; links: Record<string, unknown>[] };
    const before = await status();
    expect(before.url).toBe(env.MQTT_URL);
    // Shards of other regions, never used, are left out.
    expect(before.links).toEqual([
      expect.objectContaining({ shard: "enam/0", state: "connected", transport: "tcp", clientId: expect.stringMatching(/-enam-0$/), connects: 1 }),
    ]);
    // Two filters per charge point the shard holds (downstream and claims); the downstream ones are listed.
    const held = before.links[0] as { subscriptions: number; filters: string[] };
    expect(held.filters).toContain("ocpp/cs/api-link");
    expect(held.subscriptions).toBe(2 * held.filters.length);
    expect((await api("/broker/restart", { method: "POST" })).status).toBe(204);
    await vi.waitFor(async () => expect((await status()).links[0]).toMatchObject({ state: "connected", connects: 2 }), { timeout: 15_000, interval: 100 });
    expect((await api("/broker/restart?reset=true", { method: "POST" })).status).toBe(204);
    await vi.waitFor(async () => expect((await status()).links[0]).toMatchObject({ state: "connected", connects: 3 }), { timeout: 15_000, interval: 100 });
    // The resumed session still holds the filters.
    expect((await status()).links[0]).toMatchObject({ subscriptions: held.subscriptions, filters: held.filters });
  });
});

describe("clients", () => {
  it("lists connected charge points with paging and filters, shows one, 404s an unknown one, and kicks", async () => {
    const csms = await MqttProbe.connect();
    await csms.subscribe("ocpp/cp/api-client-a");
    const a = await ChargePointSocket.open("api-client-a");
    const b = await ChargePointSocket.open("api-client-b");
    const x = await ChargePointSocket.open("api-other-x");
    a.send([2, "h1", "Heartbeat", {}]);
    a.send([2, "h2", "Heartbeat", {}]);
    await csms.next((m) => m.json().UniqueId === "h1");
    await csms.next((m) => m.json().UniqueId === "h2");
    csms.close();
    const list = (await (await api("/clients?like_clientid=api-client&limit=1")).json()) as { data: Record<string, unknown>[]; meta: object };
    expect(list.meta).toEqual({ page: 1, limit: 1, count: 2, hasnext: true });
    expect(list.data[0]).toMatchObject({
      clientid: "api-client-a",
      proto_name: "OCPP",
      proto_ver: "1.6",
      connected: true,
      keepalive: 60,
      mqueue_len: 0,
      recv_msg: 2,
      send_msg: 0,
      shard: "enam/0",
    });
    expect(new Date(list.data[0]?.connected_at as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await (await api("/clients/api-other-x")).json()).toMatchObject({ clientid: "api-other-x", connected: true });
    await expectError(await api("/clients/api-nobody"), 404, "RESOURCE_NOT_FOUND");
    await expectError(await api("/clients/api-nobody", { method: "DELETE" }), 404, "RESOURCE_NOT_FOUND");

    expect((await api("/clients/api-client-b", { method: "DELETE" })).status).toBe(204);
    expect(await b.whenClosed()).toEqual({ code: 1000, reason: "kicked" });
    await expectError(await api("/clients/api-client-b"), 404, "RESOURCE_NOT_FOUND");
    a.close();
    await a.whenClosed();
    await vi.waitFor(async () => {
      expect(((await (await api("/clients")).json()) as { data: { clientid: string }[] }).data.map((c) => c.clientid)).toEqual(["api-other-x"]);
    });
    x.close();
  });
});
