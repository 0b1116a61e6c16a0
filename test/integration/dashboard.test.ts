// The dashboard's files and what the API gives it, through the real Worker.
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_KV_KEY } from "../../src/config/store";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;

afterEach(async () => {
  await env.GATEWAY_KV.delete(CONFIG_KV_KEY);
});

describe("dashboard files", () => {
  it("the page, its script and its style, each with a strict Content-Security-Policy and no cookie", async () => {
    for (const [path, type] of [["/dashboard/", "text/html"], ["/dashboard/js/main.js", "text/javascript"], ["/dashboard/app.css", "text/css"]] as const) {
      const res = await SELF.fetch(`http://gateway${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toContain(type);
      expect(res.headers.get("Content-Security-Policy")).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Set-Cookie")).toBeNull();
      await res.arrayBuffer();
    }
  });

  it("/dashboard redirects to /dashboard/; an unknown file is a JSON 404; an unchanged file is a 304", async () => {
    const redirect = await SELF.fetch("http://gateway/dashboard", { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("Location")).toBe("/dashboard/");
    const unknown = await SELF.fetch("http://gateway/dashboard/nope.js");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "RESOURCE_NOT_FOUND" });
    const first = await SELF.fetch("http://gateway/dashboard/app.css");
    await first.arrayBuffer();
    const again = await SELF.fetch("http://gateway/dashboard/app.css", { headers: { "If-None-Match": first.headers.get("ETag") ?? "" } });
    expect(again.status).toBe(304);
  });

  it("a charge point path under /dashboard is refused", async () => {
    const res = await SELF.fetch("http://gateway/api/v5/gateways/ocpp", {
      method: "PUT",
      headers: { Authorization: AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ listeners: [{ type: "ws", name: "default", bind: "0.0.0.0:33033", enable: true, websocket: { path: "/dashboard/cp" } }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: expect.stringContaining("listeners.0.websocket.path: must not be or lie under /dashboard") });
  });
});

describe("the API as the dashboard calls it", () => {
  it("a refused script call gets no Basic challenge (the browser would open its own password dialog); other callers get it", async () => {
    const headers = { Authorization: `Basic ${btoa("test-key:wrong")}` };
    const fromPage = await SELF.fetch("http://gateway/api/v5/gateways/ocpp", { headers: { ...headers, "X-Requested-With": "ocpp-gateway-dashboard" } });
    expect(fromPage.status).toBe(401);
    expect(fromPage.headers.get("WWW-Authenticate")).toBeNull();
    await fromPage.arrayBuffer();
    const fromTool = await SELF.fetch("http://gateway/api/v5/gateways/ocpp", { headers });
    expect(fromTool.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
    await fromTool.arrayBuffer();
  });

  it("clients can be counted by OCPP version (proto_ver)", async () => {
    const cp = await ChargePointSocket.open("d-v16", "ocpp1.6");
    const count = async (v: string) =>
      ((await (await SELF.fetch(`http://gateway/api/v5/gateways/ocpp/clients?like_clientid=d-v&proto_ver=${v}`, { headers: { Authorization: AUTH } })).json()) as { meta: { count: number } }).meta.count;
    expect(await count("1.6")).toBe(1);
    expect(await count("2.0.1")).toBe(0);
    cp.close();
  });
});
