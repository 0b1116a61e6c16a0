// The authenticator's password_rules through the real management API: users with a password no charger of the
// chosen OCPP version could have are refused (create and change); the default takes any.
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";

const ADMIN = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;
const BASE = "http://gateway/api/v5/gateways/ocpp/authentication";

function api(path: string, method: string, body?: unknown): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: ADMIN, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

afterEach(async () => {
  for (const key of (await env.GATEWAY_KV.list()).keys) await env.GATEWAY_KV.delete(key.name);
});

describe("password_rules", () => {
  it("defaults to any, and shows it", async () => {
    const res = await api("", "POST", { backend: "built_in_database", mechanism: "password_based" });
    expect(await res.json()).toMatchObject({ password_rules: "any" });
    expect((await api("/users", "POST", { user_id: "CP1", password: "x" })).status).toBe(201);
  });

  it.each([
    ["ocpp2.0.1", "a-sixteen-char-pw", ["fifteen-chars-x", "x".repeat(41), "sixteen-chars-ok!", "sixteen chars ok"]],
    ["ocpp1.6", "0123456789abcdef", ["0123456789abcde", "0123456789abcdef01234", "é".repeat(11)]],
  ])("%s: refuses passwords a charger cannot have, on create and on change", async (rules, good, bad) => {
    expect((await api("", "POST", { backend: "built_in_database", mechanism: "password_based", password_rules: rules })).status).toBe(201);
    for (const password of bad) {
      const res = await api("/users", "POST", { user_id: "CP2", password });
      expect(res.status, password).toBe(400);
      expect(await res.json()).toMatchObject({ code: "BAD_REQUEST", reason: "password_not_allowed" });
    }
    expect((await api("/users", "POST", { user_id: "CP2", password: good })).status).toBe(201);
    const change = await api("/users/CP2", "PUT", { password: bad[0] });
    expect(change.status).toBe(400);
    expect((await api("/users/CP2", "PUT", { is_superuser: false })).status).toBe(200);
  });
});
