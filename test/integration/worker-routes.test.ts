// The Worker's own routes: what `/` says, and that requests which can never be a charge point's (the API, the
// dashboard, `/`) are answered without reading the configuration from KV, while everything else still reads it.
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { CONFIG_KV_KEY } from "../../src/config/store";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;

afterEach(async () => {
  for (const key of (await env.GATEWAY_KV.list()).keys) await env.GATEWAY_KV.delete(key.name);
});

/** The Worker's app with a KV binding that records which keys are read. */
function appCountingReads(): { request: (path: string, init?: RequestInit) => Promise<Response>; configReads: () => number } {
  const keys: string[] = [];
  const kv = new Proxy(env.GATEWAY_KV, {
    get(target, prop) {
      if (prop === "get") {
        return (key: string, ...rest: unknown[]) => {
          keys.push(key);
          return (target.get as (...args: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const app = createApp();
  return {
    request: async (path, init) => app.request(`http://gateway${path}`, init, { ...env, GATEWAY_KV: kv }),
    configReads: () => keys.filter((k) => k === CONFIG_KV_KEY).length,
  };
}

describe("GET /", () => {
  it("lists the OCPP versions supported_protocols allows, as configured now", async () => {
    expect(await (await SELF.fetch("http://gateway/")).json()).toEqual({ name: "ocpp-mqtt-gateway", protocols: ["ocpp2.1", "ocpp2.0.1", "ocpp1.6"] });
    const put = await SELF.fetch("http://gateway/api/v5/gateways/ocpp", {
      method: "PUT",
      headers: { Authorization: AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ supported_protocols: ["ocpp1.6", "ocpp2.0.1"] }),
    });
    expect(put.status).toBe(204);
    expect(await (await SELF.fetch("http://gateway/")).json()).toEqual({ name: "ocpp-mqtt-gateway", protocols: ["ocpp1.6", "ocpp2.0.1"] });
  });
});

describe("the configuration is read only where a request could be a charge point's", () => {
  it.each([
    ["the dashboard", "/dashboard/", {}, 200],
    ["a dashboard file", "/dashboard/js/api.js", {}, 200],
    ["the OpenAPI document", "/api/v5/openapi.json", {}, 200],
    ["an API call refused for its credentials", "/api/v5/gateways/ocpp/broker", {}, 401],
    ["an API call that needs no configuration", "/api/v5/gateways/ocpp/authentication", { Authorization: AUTH }, 204],
    ["an unknown path under /api", "/api/nothing-here", {}, 404],
  ])("%s: no KV read of the configuration", async (_what, path, headers: Record<string, string>, status) => {
    const app = appCountingReads();
    const res = await app.request(path, { headers });
    expect(res.status).toBe(status);
    expect(app.configReads()).toBe(0);
  });

  it.each([
    ["the charge point path, without an upgrade", "/ocpp/CP1", 426],
    ["a path next to /api that a charge point path may be", "/apis/CP1", 404],
    ["a path next to /dashboard", "/dashboards", 404],
  ])("%s: the configuration is read (it says where charge points connect)", async (_what, path, status) => {
    const app = appCountingReads();
    const res = await app.request(path);
    expect(res.status).toBe(status);
    expect(app.configReads()).toBe(1);
  });

  it("a charge point path moved by the API is found from the stored configuration", async () => {
    const put = await SELF.fetch("http://gateway/api/v5/gateways/ocpp", {
      method: "PUT",
      headers: { Authorization: AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ listeners: [{ type: "ws", name: "default", websocket: { path: "/chargers" } }] }),
    });
    expect(put.status).toBe(204);
    const app = appCountingReads();
    expect((await app.request("/chargers/CP1")).status).toBe(426);
    expect((await app.request("/ocpp/CP1")).status).toBe(404);
    expect(app.configReads()).toBe(2);
  });
});
