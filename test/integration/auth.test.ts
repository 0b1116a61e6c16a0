// Charge point and admin authentication through the real Worker: the credential is bound to the charge point id,
// failed logins are throttled per source address (and per known source) so nobody elsewhere can lock a credential
// out, a credential's reconnect loop is bounded, login guards keep nothing once their windows end, users hashed with
// an older algorithm are hashed again, unknown users cost the configured algorithm's work, ids of any allowed length
// fit the stores, and only checked user names and valid addresses are kept with a connection.
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/auth/credentials";
import { FAILURE_WINDOW_MS, LOGINS_PER_MINUTE, REWRITE_HOLD_MS, SOURCE_FAILURE_LIMIT } from "../../src/auth/throttle";
import { createApp } from "../../src/http/app";
import { LoginThrottle, userCredential } from "../../src/http/login-throttle";
import { rehash } from "../../src/http/rehash";
import { AuthStore, type StoredUser } from "../../src/auth/store";

const ADMIN = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;
const BASE = "http://gateway/api/v5/gateways/ocpp";

const basic = (user: string, password: string) =>
  `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;

function api(path: string, init: { method?: string; body?: unknown; auth?: string; ip?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Authorization: init.auth ?? ADMIN };
  if (init.ip !== undefined) headers["CF-Connecting-IP"] = init.ip;
  return SELF.fetch(`${BASE}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

async function authenticator(extra: Record<string, unknown> = {}): Promise<void> {
  const res = await api("/authentication", { method: "POST", body: { backend: "built_in_database", mechanism: "password_based", ...extra } });
  expect(res.status).toBe(201);
}

async function user(userId: string, password: string, isSuperuser = false): Promise<void> {
  const res = await api("/authentication/users", { method: "POST", body: { user_id: userId, password, is_superuser: isSuperuser } });
  expect(res.status, await res.clone().text()).toBe(201);
}

function upgrade(cid: string, auth?: string, ip?: string): Promise<Response> {
  return SELF.fetch(`http://gateway/ocpp/${encodeURIComponent(cid)}`, {
    headers: {
      Upgrade: "websocket",
      "Sec-WebSocket-Protocol": "ocpp1.6",
      ...(auth === undefined ? {} : { Authorization: auth }),
      ...(ip === undefined ? {} : { "CF-Connecting-IP": ip }),
    },
  });
}

const open: WebSocket[] = [];

/** Upgrades and expects 101; the socket is kept open until the test ends. */
async function connect(cid: string, auth?: string, ip?: string): Promise<WebSocket> {
  const res = await upgrade(cid, auth, ip);
  if (res.status !== 101) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  const ws = res.webSocket as WebSocket;
  ws.accept();
  open.push(ws);
  return ws;
}

afterEach(async () => {
  for (const ws of open.splice(0)) ws.close(1000);
  for (const key of (await env.GATEWAY_KV.list()).keys) await env.GATEWAY_KV.delete(key.name);
  vi.restoreAllMocks();
});

async function client(cid: string): Promise<Record<string, unknown>> {
  const res = await api(`/clients/${encodeURIComponent(cid)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("a password is bound to its charge point id (user_id_type username)", () => {
  it("CP-B1's credentials do not open CP-B2, and the real CP-B2 stays connected", async () => {
    await authenticator();
    await user("CP-B1", "pw-1");
    await user("CP-B2", "pw-2");
    const real = await connect("CP-B2", basic("CP-B2", "pw-2"), "192.0.2.2");
    let closed: number | undefined;
    real.addEventListener("close", (e) => {
      closed = e.code;
    });
    const impostor = await upgrade("CP-B2", basic("CP-B1", "pw-1"), "198.51.100.2");
    expect(impostor.status).toBe(401);
    expect(await impostor.json()).toMatchObject({ code: "UNAUTHORIZED", reason: "bad_username_or_password" });
    expect(impostor.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
    expect(await client("CP-B2")).toMatchObject({ username: "CP-B2", ip_address: "192.0.2.2" });
    expect(closed).toBeUndefined();
  });

  it("a user with is_superuser may connect as any id", async () => {
    await authenticator();
    await user("commissioning-tool", "pw", true);
    await connect("CP-B3", basic("commissioning-tool", "pw"));
    expect(await client("CP-B3")).toMatchObject({ username: "commissioning-tool" });
  });
});

describe("failed logins are counted per source address, never per credential alone", () => {
  it("guesses for one user from one address are refused after 5 (429, Retry-After, no hashing), whatever URL ids they use", async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", iterations: 1000 } });
    await user("CP-G", "right");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await upgrade(`CP-G-other-${i}`, basic("CP-G", `guess-${i}`), "198.51.100.10")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    const locked = await upgrade("CP-G", basic("CP-G", "right"), "198.51.100.10");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await locked.json()).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "too_many_failed_logins" });
    expect(derive).not.toHaveBeenCalled();
  });

  it("after 5 wrong passwords from each of many addresses, the right one from an address never used before gets in", async () => {
    await authenticator();
    await user("CP-N", "right");
    for (let a = 0; a < 6; a++) {
      for (let i = 0; i < 6; i++) await upgrade("CP-N", basic("CP-N", `guess-${a}-${i}`), `198.51.100.${20 + a}`);
    }
    await connect("CP-N", basic("CP-N", "right"), "203.0.113.20");
    await connect("CP-N", basic("CP-N", "right"), "2001:db8:20::1");
  });

  it(`one address guessing across many users is stopped after ${SOURCE_FAILURE_LIMIT} failures; other addresses are not`, async () => {
    await authenticator();
    await user("CP-S-real", "right");
    for (let i = 0; i < SOURCE_FAILURE_LIMIT; i++) {
      expect((await upgrade(`CP-S-${i}`, basic(`CP-S-${i}`, "guess"), "2001:db8:5::1")).status).toBe(401);
    }
    // Same /64, another user: refused before any password check.
    expect((await upgrade("CP-S-real", basic("CP-S-real", "right"), "2001:db8:5::2")).status).toBe(429);
    await connect("CP-S-real", basic("CP-S-real", "right"), "2001:db8:6::1");
  });
});

describe("nobody can lock a charger out", () => {
  it("while strangers guess from many addresses, the charger gets in from its known address and from a new one", async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", iterations: 1000 } });
    await user("CP-K", "right");
    (await connect("CP-K", basic("CP-K", "right"), "192.0.2.10")).close(1000);
    for (let i = 0; i < 12; i++) await upgrade("CP-K", basic("CP-K", `guess-${i}`), `198.51.100.${30 + (i % 3)}`);
    await connect("CP-K", basic("CP-K", "right"), "192.0.2.10");
    await connect("CP-K", basic("CP-K", "right"), "203.0.113.5");
  });
});

describe("a credential's reconnect loop is bounded", () => {
  it(`from its known address, a charger logs in ${LOGINS_PER_MINUTE} times a minute; then 429 too_many_logins before hashing, and others are not affected`, async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", iterations: 1000 } });
    await user("CP-LOOP", "right");
    await user("CP-OTHER", "right");
    for (let i = 0; i < LOGINS_PER_MINUTE; i++) (await connect("CP-LOOP", basic("CP-LOOP", "right"), "192.0.2.60")).close(1000);
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    for (const ip of ["192.0.2.60", "203.0.113.60"]) {
      const looped = await upgrade("CP-LOOP", basic("CP-LOOP", "right"), ip);
      expect(looped.status).toBe(429);
      expect(Number(looped.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(await looped.json()).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "too_many_logins" });
    }
    expect(derive).not.toHaveBeenCalled();
    await connect("CP-OTHER", basic("CP-OTHER", "right"), "192.0.2.60");
  });
});

describe("hashing work per isolate is capped", () => {
  it("a burst of PBKDF2 logins beyond the isolate's budget is answered 503 with Retry-After before hashing", async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", iterations: 100_000 } });
    // 30 × 100,000 units against a budget of 1,000,000 a second: some must be turned away, whatever the timing.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => upgrade(`CP-BURST-${i}`, basic(`CP-BURST-${i}`, "guess"), `192.0.2.${100 + i}`)),
    );
    const busy = answers.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.every((r) => r.status === 503 || r.status === 401)).toBe(true);
    expect(busy[0]?.headers.get("Retry-After")).toBe("1");
    expect(await busy[0]?.json()).toMatchObject({ code: "SERVICE_UNAVAILABLE", reason: "busy" });
  });
});

describe("the hashing cap is no lock-out button", () => {
  it("while strangers' guesses exhaust the isolate's budget, a charger from its known address still gets in", async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", iterations: 100_000 } });
    await user("CP-KB", "right");
    // The first login makes the address known; it waits while an earlier test's burst still holds the budget.
    for (let tries = 0; ; tries++) {
      const first = await upgrade("CP-KB", basic("CP-KB", "right"), "100.64.1.1");
      if (first.status === 101) {
        first.webSocket?.accept();
        first.webSocket?.close(1000);
        break;
      }
      if (first.status !== 503 || tries > 50) throw new Error(`first login refused: ${first.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Addresses of their own (each address has its own failure budget, kept across this file's tests).
    const guess = (i: number) => upgrade(`CP-G-${i}`, basic(`CP-G-${i}`, "guess"), `100.64.0.${i + 1}`);
    // 30 × 100,000 units against 1,000,000 a second: the budget is spent, and stays spent while more arrive.
    await Promise.all(Array.from({ length: 30 }, (_, i) => guess(i)));
    const more = Array.from({ length: 20 }, (_, i) => guess(30 + i));
    const charger = await upgrade("CP-KB", basic("CP-KB", "right"), "100.64.1.1");
    expect((await Promise.all(more)).some((r) => r.status === 503)).toBe(true);
    expect(charger.status).toBe(101);
    charger.webSocket?.accept();
    charger.webSocket?.close(1000);
  });
});

describe("unknown users cost the configured algorithm's work", () => {
  it("with pbkdf2 configured, a login as an unknown user runs PBKDF2 with the configured parameters", async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", mac_fun: "sha512", iterations: 3000, dk_length: 32 } });
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    const res = await upgrade("CP-NOBODY", basic("CP-NOBODY", "guess"), "198.51.100.70");
    expect(res.status).toBe(401);
    expect(derive.mock.calls.map(([p, , bits]) => [(p as { hash: string; iterations: number }).hash, (p as { hash: string; iterations: number }).iterations, bits])).toContainEqual(["SHA-512", 3000, 256]);
  });
});

describe("the admin API is throttled per address, and its secret must be strong", () => {
  it("wrong secrets from many addresses never lock the right one out of an address never used before; each address gets 5", async () => {
    expect((await api("", { ip: "192.0.2.50" })).status).toBe(200);
    const wrong = `Basic ${btoa("test-key:guess")}`;
    for (let a = 0; a < 4; a++) {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await api("", { auth: wrong, ip: `198.51.100.${50 + a}` })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    }
    const locked = await api("", { ip: "198.51.100.50" });
    expect(locked.status).toBe(429);
    expect(locked.headers.get("Retry-After")).toMatch(/^[1-9][0-9]*$/);
    expect((await api("", { ip: "203.0.113.50" })).status).toBe(200);
    expect((await api("", { ip: "192.0.2.50" })).status).toBe(200);
  });

  it.each([
    ["shorter than 32 characters", "test-secret", /at least 32 characters.*it has 11 characters/],
    ["fewer than 8 different characters", "abcabcabcabcabcabcabcabcabcabcabcabc", /at least 8 different.*only 3 different/],
  ])("an ADMIN_API_SECRET %s: every management call, trace tokens too, is refused with 503 naming the rule", async (_what, secret, message) => {
    const app = createApp();
    const headers = { Authorization: `Basic ${btoa(`test-key:${secret}`)}`, "CF-Connecting-IP": "192.0.2.51" };
    const weak = { ...env, ADMIN_API_SECRET: secret };
    for (const res of [
      await app.request("/api/v5/gateways/ocpp", { headers }, weak),
      await app.request("/api/v5/gateways/ocpp/clients/CP1/trace", { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "ocpp-trace, token.x" } }, weak),
    ]) {
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: "SERVICE_UNAVAILABLE", reason: "admin_secret_too_weak", message: expect.stringMatching(message) });
    }
  });
});

describe("ids of any allowed length fit the stores", () => {
  const longId = "\u{20000}".repeat(64); // 64 characters, 256 bytes of UTF-8, 768 percent-encoded

  it("a 64-character id of four-byte letters: user created, listed, read, and its charge point logs in", async () => {
    await authenticator();
    await user(longId, "pw");
    expect(await (await api("/authentication/users")).json()).toMatchObject({ data: [{ user_id: longId, is_superuser: false }] });
    expect((await api(`/authentication/users/${encodeURIComponent(longId)}`)).status).toBe(200);
    expect((await upgrade(longId, basic(longId, "wrong"))).status).toBe(401);
    await connect(longId, basic(longId, "pw"));
    expect((await api(`/authentication/users/${encodeURIComponent(longId)}`, { method: "DELETE" })).status).toBe(204);
  });

  it("an unknown long id with an authenticator gets 401, not 500", async () => {
    await authenticator();
    expect((await upgrade(longId, basic(longId, "pw"))).status).toBe(401);
  });

  it.each([
    ["CP:001", /':'/],
    ["\u{1F600}".repeat(60), /only letters/],
    ["CP\u200B001", /U\+200B/],
  ])("a user id that could never log in (%j) is refused with 400", async (userId, message) => {
    await authenticator();
    const res = await api("/authentication/users", { method: "POST", body: { user_id: userId, password: "pw" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(message) });
  });
});

describe("only checked user names and valid addresses are kept with a connection", () => {
  it("user_id_type clientid: another Basic user name is ignored, the id's own is kept; a bad address is dropped", async () => {
    await authenticator({ user_id_type: "clientid" });
    await user("CP-C8", "pw");
    await connect("CP-C8", basic("x".repeat(4000), "pw"), `not-an-ip-${"y".repeat(4000)}`);
    expect(await client("CP-C8")).toMatchObject({ username: null, ip_address: null });
    await connect("CP-C8", basic("CP-C8", "pw"), "2001:db8::8");
    expect(await client("CP-C8")).toMatchObject({ username: "CP-C8", ip_address: "2001:db8::8" });
  });

  it("without an authenticator nothing checked the user name, so none is kept", async () => {
    await connect("CP-ANON", basic("claimed-name", "x"), "192.0.2.9");
    expect(await client("CP-ANON")).toMatchObject({ username: null, ip_address: "192.0.2.9" });
  });
});

const guardOf = (name: string) => env.LOGIN_GUARD.get(env.LOGIN_GUARD.idFromName(name));

/** What a LoginGuard holds: its stored keys (the runtime's own `__` keys aside) and its alarm. */
function held(name: string): Promise<{ keys: string[]; alarm: number | null }> {
  return runInDurableObject(guardOf(name), async (_instance, state) => ({
    keys: [...(await state.storage.list()).keys()].filter((k) => !k.startsWith("__")),
    alarm: await state.storage.getAlarm(),
  }));
}

describe("login guards keep nothing once their windows end", () => {
  it("10 guesses with fresh user names from fresh addresses: the users' guards store nothing, the addresses' guards are emptied by their alarms", async () => {
    await authenticator();
    const guesses = Array.from({ length: 10 }, (_, i) => ({ name: `GHOST-${i}`, ip: `198.51.100.${140 + i}` }));
    const before = Date.now();
    for (const { name, ip } of guesses) expect((await upgrade(name, basic(name, "guess"), ip)).status).toBe(401);
    const after = Date.now();
    for (const { name, ip } of guesses) {
      expect(await held(`user:${await sha256Hex(name)}`)).toEqual({ keys: [], alarm: null });
      const source = await held(`source:4:${ip}`);
      expect(source.keys).toEqual(["source"]);
      expect(source.alarm).toBeGreaterThanOrEqual(before + FAILURE_WINDOW_MS);
      expect(source.alarm).toBeLessThanOrEqual(after + FAILURE_WINDOW_MS);
    }
    // The window ends: each alarm deletes its guard's state and sets no other.
    vi.spyOn(Date, "now").mockReturnValue(after + FAILURE_WINDOW_MS);
    for (const { ip } of guesses) {
      expect(await runDurableObjectAlarm(guardOf(`source:4:${ip}`))).toBe(true);
      expect(await held(`source:4:${ip}`)).toEqual({ keys: [], alarm: null });
    }
  });

  it("a known source, a failure from it and a change through the API each leave with their windows", async () => {
    await authenticator();
    await user("CP-KEPT", "right");
    (await connect("CP-KEPT", basic("CP-KEPT", "right"), "192.0.2.150")).close(1000);
    expect((await upgrade("CP-KEPT", basic("CP-KEPT", "wrong"), "192.0.2.150")).status).toBe(401);
    const name = await userCredential("CP-KEPT");
    const start = Date.now();
    expect((await held(name)).keys).toEqual(["credential"]);
    for (const step of [REWRITE_HOLD_MS, FAILURE_WINDOW_MS, 30 * 24 * 3600_000]) {
      vi.spyOn(Date, "now").mockReturnValue(start + step + 1000);
      expect(await runDurableObjectAlarm(guardOf(name))).toBe(true);
    }
    expect(await held(name)).toEqual({ keys: [], alarm: null });
  });
});

describe("users hashed with an older algorithm", () => {
  it("are hashed with the configured algorithm at their next successful login; their refusals then cost what an unknown user's do", async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", mac_fun: "sha512", iterations: 3000, dk_length: 32 } });
    const store = new AuthStore(env.GATEWAY_KV);
    // Created before the algorithm was changed (written directly: no change through the API is pending).
    await store.putUser("CP-OLD", "right", false, { name: "sha256", salt_position: "suffix" });
    await connect("CP-OLD", basic("CP-OLD", "right"), "192.0.2.160");
    let stored: StoredUser | null = null;
    for (let i = 0; i < 100 && stored?.algorithm.name !== "pbkdf2"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      stored = await store.getUser("CP-OLD");
    }
    expect(stored?.algorithm).toEqual({ name: "pbkdf2", mac_fun: "sha512", iterations: 3000, dk_length: 32 });
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    expect((await upgrade("CP-OLD", basic("CP-OLD", "wrong"), "192.0.2.160")).status).toBe(401);
    const params = (call: unknown[]) => [(call[0] as { hash: string }).hash, (call[0] as { iterations: number }).iterations, call[2]];
    expect(derive.mock.calls.map(params)).toEqual([["SHA-512", 3000, 256]]);
    await connect("CP-OLD", basic("CP-OLD", "right"), "192.0.2.160");
  });

  it("a login that read the user before the API changed it does not write the old record back", async () => {
    await authenticator({ password_hash_algorithm: { name: "pbkdf2", iterations: 1000 } });
    const store = new AuthStore(env.GATEWAY_KV);
    await store.putUser("CP-STALE", "old-password", false, { name: "sha256" });
    const stale = (await store.getUser("CP-STALE")) as StoredUser;
    expect((await api("/authentication/users/CP-STALE", { method: "PUT", body: { password: "new-password" } })).status).toBe(200);
    const throttle = new LoginThrottle(env.LOGIN_GUARD);
    const authenticatorNow = (await store.getAuthenticator())!;
    await rehash(store, throttle, await userCredential("CP-STALE"), stale, "old-password", authenticatorNow);
    expect(await store.checkPassword(await store.getUser("CP-STALE"), "new-password", authenticatorNow)).toBe(true);
    expect(await store.checkPassword(await store.getUser("CP-STALE"), "old-password", authenticatorNow)).toBe(false);
    // Deleting the authenticator holds back every user's rewrite the same way.
    const fresh = (await store.getUser("CP-STALE")) as StoredUser;
    // Later, when the user's own hold has ended:
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + REWRITE_HOLD_MS);
    expect(await throttle.mayRewrite([await userCredential("CP-STALE")])).toBe(true);
    expect((await api("/authentication", { method: "DELETE" })).status).toBe(204);
    await rehash(store, throttle, await userCredential("CP-STALE"), fresh, "new-password", authenticatorNow);
    expect(await store.getUser("CP-STALE")).toBeNull();
  });
});
