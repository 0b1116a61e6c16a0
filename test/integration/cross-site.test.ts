// The management API's cross-site rule through the real Worker: what a browser sends for another site's page is
// refused (403) before anything is read or changed, even with the right key and secret; bodies are JSON only (415);
// scripts (no Origin, no Sec-Fetch-*), the dashboard's own origin and typed URLs keep working.
import { env, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;
const ORIGIN = "http://gateway";
const BASE = `${ORIGIN}/api/v5/gateways/ocpp`;
const JSON_TYPE = { "Content-Type": "application/json" };

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** Every call that changes something, each with a body that would succeed. */
const UNSAFE: readonly Call[] = [
  { method: "POST", path: "/authentication/users", body: { user_id: "x-evil", password: "attacker-chosen", is_superuser: true } },
  { method: "PUT", path: "/authentication/users/x-user", body: { password: "attacker-chosen", is_superuser: true } },
  { method: "DELETE", path: "/authentication/users/x-user" },
  { method: "POST", path: "/authentication", body: { backend: "built_in_database", mechanism: "password_based" } },
  { method: "PUT", path: "/authentication", body: { backend: "built_in_database", mechanism: "password_based", enable: false } },
  { method: "DELETE", path: "/authentication" },
  { method: "PUT", path: "", body: { mountpoint: "attacker/" } },
  { method: "PUT", path: "/enable/false" },
  { method: "DELETE", path: "/clients/x-cp" },
  { method: "POST", path: "/broker/restart" },
  { method: "POST", path: "/clients/x-cp/trace" },
];

/** What a browser sends for a page that is not the gateway's own. */
const CROSS_SITE: readonly (readonly [string, Record<string, string>])[] = [
  ["Sec-Fetch-Site: cross-site", { "Sec-Fetch-Site": "cross-site", Origin: "https://attacker.example" }],
  ["Sec-Fetch-Site: same-site", { "Sec-Fetch-Site": "same-site", Origin: "http://other.gateway" }],
  ["Sec-Fetch-Site: cross-site with the gateway's Origin", { "Sec-Fetch-Site": "cross-site", Origin: ORIGIN }],
  ["a foreign Origin (a browser without Fetch Metadata)", { Origin: "https://attacker.example" }],
  ["the gateway's host name on another port", { Origin: "http://gateway:8080" }],
  ["Origin: null (a sandboxed page, a data: URL)", { Origin: "null" }],
];

function call(c: Call, headers: Record<string, string>): Promise<Response> {
  return SELF.fetch(`${BASE}${c.path}`, {
    method: c.method,
    headers: { Authorization: AUTH, ...(c.body === undefined ? {} : JSON_TYPE), ...headers },
    ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
  });
}

async function script(method: string, path: string, body?: unknown): Promise<Response> {
  return call({ method, path, body }, {});
}

/** Everything the unsafe calls above could change. */
async function state(): Promise<unknown> {
  const [users, authenticator, gateway] = await Promise.all([
    script("GET", "/authentication/users").then((r) => r.json()),
    script("GET", "/authentication").then((r) => r.json()),
    script("GET", "").then((r) => r.json()),
  ]);
  return { users, authenticator, gateway };
}

async function expectRefused(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(await res.json()).toMatchObject({ code });
}

beforeEach(async () => {
  expect((await script("POST", "/authentication", { backend: "built_in_database", mechanism: "password_based" })).status).toBe(201);
  expect((await script("POST", "/authentication/users", { user_id: "x-user", password: "the-operator-s" })).status).toBe(201);
});

afterEach(async () => {
  for (const key of (await env.GATEWAY_KV.list()).keys) await env.GATEWAY_KV.delete(key.name);
});

describe("requests a browser makes for another site's page are refused, with the key and secret or without", () => {
  it.each(CROSS_SITE)("%s: every call that changes something → 403 cross_site, and nothing changed", async (_what, headers) => {
    const before = await state();
    for (const c of UNSAFE) {
      const res = await call(c, headers);
      expect(res.status, `${c.method} ${c.path}`).toBe(403);
      expect(await res.json()).toMatchObject({ code: "FORBIDDEN", reason: "cross_site" });
    }
    expect(await state()).toEqual(before);
  });

  it.each(CROSS_SITE)("%s: reads (metrics, clients, configuration) → 403 too", async (_what, headers) => {
    for (const path of ["/metrics", "/clients", "", "/authentication/users"]) {
      const res = await call({ method: "GET", path }, headers);
      expect(res.status, path).toBe(403);
      expect(await res.json()).toMatchObject({ code: "FORBIDDEN", reason: "cross_site" });
    }
  });

  it.each(CROSS_SITE)("%s: the trace WebSocket is refused before the upgrade, with HTTP Basic or a trace token", async (_what, headers) => {
    const basic = await call({ method: "GET", path: "/clients/x-cp/trace" }, { Upgrade: "websocket", ...headers });
    await expectRefused(basic, 403, "FORBIDDEN");
    const issued = (await (await script("POST", "/clients/x-cp/trace")).json()) as { protocols: string[] };
    const token = await SELF.fetch(`${BASE}/clients/x-cp/trace`, { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": issued.protocols.join(", "), ...headers } });
    await expectRefused(token, 403, "FORBIDDEN");
  });

  it("the refusal comes before the credentials are looked at: a cross-site request without them is 403 too, with no challenge", async () => {
    const res = await SELF.fetch(`${BASE}/authentication/users`, { method: "POST", headers: { "Sec-Fetch-Site": "cross-site", ...JSON_TYPE }, body: "{}" });
    await expectRefused(res, 403, "FORBIDDEN");
    expect(res.headers.get("WWW-Authenticate")).toBeNull();
  });
});

describe("bodies are read only as application/json", () => {
  it.each([
    ["text/plain (a form's enctype)", "text/plain"],
    ["text/plain;charset=UTF-8", "text/plain;charset=UTF-8"],
    ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded"],
    ["multipart/form-data", "multipart/form-data; boundary=x"],
    ["application/jsonp", "application/jsonp"],
    ["application/json-seq", "application/json-seq"],
  ])("%s → 415, nothing changed", async (_what, type) => {
    const before = await state();
    const body = JSON.stringify({ user_id: "x-evil", password: "attacker-chosen", is_superuser: true });
    const created = await SELF.fetch(`${BASE}/authentication/users`, { method: "POST", headers: { Authorization: AUTH, "Content-Type": type }, body });
    await expectRefused(created, 415, "UNSUPPORTED_MEDIA_TYPE");
    const put = await SELF.fetch(BASE, { method: "PUT", headers: { Authorization: AUTH, "Content-Type": type }, body: JSON.stringify({ mountpoint: "attacker/" }) });
    await expectRefused(put, 415, "UNSUPPORTED_MEDIA_TYPE");
    // Also where the body would be ignored: a form posting anything to the restart is not taken.
    const restart = await SELF.fetch(`${BASE}/broker/restart`, { method: "POST", headers: { Authorization: AUTH, "Content-Type": type }, body: "a=b" });
    await expectRefused(restart, 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(await state()).toEqual(before);
  });

  it("a body without a Content-Type → 415, nothing changed", async () => {
    const before = await state();
    const body = new TextEncoder().encode(JSON.stringify({ user_id: "x-evil", password: "attacker-chosen", is_superuser: true }));
    const req = new Request(`${BASE}/authentication/users`, { method: "POST", headers: { Authorization: AUTH }, body });
    expect(req.headers.get("Content-Type")).toBeNull();
    const res = await SELF.fetch(req);
    await expectRefused(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(await state()).toEqual(before);
  });

  it("application/json with parameters is taken; a call without a body needs no Content-Type, or may carry a form's (curl -d '')", async () => {
    const created = await SELF.fetch(`${BASE}/authentication/users`, {
      method: "POST",
      headers: { Authorization: AUTH, "Content-Type": "Application/JSON; charset=utf-8" },
      body: JSON.stringify({ user_id: "x-new", password: "chosen" }),
    });
    expect(created.status).toBe(201);
    expect((await SELF.fetch(`${BASE}/enable/false`, { method: "PUT", headers: { Authorization: AUTH } })).status).toBe(204);
    const empty = await SELF.fetch(`${BASE}/enable/true`, { method: "PUT", headers: { Authorization: AUTH, "Content-Type": "application/x-www-form-urlencoded" }, body: "" });
    expect(empty.status).toBe(204);
    expect(await (await script("GET", "")).json()).toMatchObject({ enable: true });
  });
});

describe("what still passes", () => {
  it.each([
    ["no Origin and no Sec-Fetch-* (curl, scripts)", {}],
    ["Sec-Fetch-Site: same-origin (the dashboard)", { "Sec-Fetch-Site": "same-origin", Origin: ORIGIN }],
    ["Sec-Fetch-Site: none (a URL the user typed)", { "Sec-Fetch-Site": "none" }],
    ["the gateway's own Origin without Fetch Metadata (an older browser on the dashboard)", { Origin: ORIGIN }],
    ["the gateway's own host under https (a TLS front ahead of the Worker)", { Origin: "https://gateway" }],
  ])("%s: writes, reads, metrics and the trace socket", async (_what, headers: Record<string, string>) => {
    const created = await call({ method: "POST", path: "/authentication/users", body: { user_id: "x-new", password: "chosen" } }, headers);
    expect(created.status).toBe(201);
    expect((await call({ method: "PUT", path: "/authentication/users/x-new", body: { is_superuser: true } }, headers)).status).toBe(200);
    expect((await call({ method: "DELETE", path: "/authentication/users/x-new" }, headers)).status).toBe(204);
    expect((await call({ method: "PUT", path: "", body: { mountpoint: "allowed/" } }, headers)).status).toBe(204);
    expect(await (await call({ method: "GET", path: "" }, headers)).json()).toMatchObject({ mountpoint: "allowed/" });
    expect((await call({ method: "GET", path: "/metrics" }, headers)).status).toBe(200);
    const trace = await call({ method: "GET", path: "/clients/x-cp/trace" }, { Upgrade: "websocket", ...headers });
    expect(trace.status).toBe(101);
    trace.webSocket?.accept();
    trace.webSocket?.close(1000);
  });
});

describe("the Basic challenge", () => {
  it.each([
    ["a navigation (Sec-Fetch-Mode: navigate)", { "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "document" }],
    ["a navigation on a plain-http origin (Upgrade-Insecure-Requests only)", { "Upgrade-Insecure-Requests": "1" }],
    ["a page's fetch (Origin)", { Origin: ORIGIN }],
    ["the dashboard (X-Requested-With)", { "X-Requested-With": "ocpp-gateway-dashboard" }],
  ])("is not sent to a browser, which would keep the key and secret for the origin: %s", async (_what, headers: Record<string, string>) => {
    const res = await SELF.fetch(`${BASE}/clients`, { headers });
    await expectRefused(res, 401, "UNAUTHORIZED");
    expect(res.headers.get("WWW-Authenticate")).toBeNull();
  });

  it.each([
    ["curl", {}],
    ["Node's fetch (Sec-Fetch-Mode: cors and nothing else)", { "Sec-Fetch-Mode": "cors" }],
  ])("is sent to tools, as before: %s", async (_what, headers: Record<string, string>) => {
    const res = await SELF.fetch(`${BASE}/clients`, { headers });
    await expectRefused(res, 401, "UNAUTHORIZED");
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm="OCPP gateway management"/);
  });
});
