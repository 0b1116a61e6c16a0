// Cross-site requests to the management API in a real browser (Debian's chromium driven by playwright-core) against
// the gateway as `npm start` runs it. A page on another site (a small Node server here, reached as `localhost`
// while the gateway is `127.0.0.1`: another site, not only another origin) tries what a page can do with a browser
// that would send the operator's key and secret by itself: a form whose text/plain body is JSON creating a
// superuser, a form posting a broker restart, a WebSocket to the live trace, a read of the metrics. None may change
// or show anything; scripts (no Origin, no Sec-Fetch-*) keep working.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { connectChargePoint, WS_CLIENT_OPTIONS, type RecordingClient } from "./support/charge-point";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];
const CID = "e2e-xsite-cp";
const EVIL_USER = "e2e-xsite-evil";
const SCRIPT_USER = "e2e-xsite-script";
const CP_PASSWORD = "e2e-xsite-cp-password";

interface Link {
  shard: number;
  state: string;
  connects: number;
}

let browser: Browser;
let attacker: http.Server;
let attackerOrigin: string;
let cp: RecordingClient | undefined;
let createdAuthenticator = false;

const gateway = (): string => inject("gatewayHttp");
const apiBase = (): string => `${gateway()}/api/v5/gateways/ocpp`;

function credentials(): { username: string; password: string } {
  const [username, password] = Buffer.from(inject("adminAuth").slice("Basic ".length), "base64").toString("utf8").split(":") as [string, string];
  return { username, password };
}

/** A script's call: credentials, JSON, no Origin and no Sec-Fetch-Site (Node's fetch, like curl and EMQX scripts). */
function script(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${apiBase()}${path}`, {
    method,
    headers: { Authorization: inject("adminAuth"), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function userIds(): Promise<string[]> {
  const res = await script("GET", "/authentication/users?limit=10000");
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { user_id: string }[] }).data.map((u) => u.user_id);
}

async function links(): Promise<Link[]> {
  const res = await script("GET", "/broker");
  expect(res.status).toBe(200);
  return ((await res.json()) as { links: Link[] }).links;
}

/** The attacker's pages: each does one thing on load and shows the outcome in its title when it can see one. */
function attackerPage(path: string): string {
  const users = `${apiBase()}/authentication/users`;
  switch (path) {
    case "/superuser":
      // text/plain sends `name=value\r\n`: a name and a value that join into the JSON body of a user creation.
      return `<form method="POST" enctype="text/plain" action="${users}">
        <input type="hidden" name='{"user_id":"${EVIL_USER}","is_superuser":true,"password":"attacker' value='chosen"}'>
        </form><script>document.forms[0].submit()</script>`;
    case "/restart":
      return `<form method="POST" enctype="text/plain" action="${apiBase()}/broker/restart"><input type="hidden" name="a" value="b"></form>
        <script>document.forms[0].submit()</script>`;
    case "/trace": {
      const url = `${apiBase().replace(/^http/, "ws")}/clients/${CID}/trace`;
      return `<script>
        const ws = new WebSocket(${JSON.stringify(url)});
        ws.onmessage = (e) => { document.title = "read: " + e.data; ws.close(); };
        ws.onerror = () => { if (!document.title) document.title = "refused"; };
        ws.onclose = () => { if (!document.title) document.title = "refused"; };
        </script>`;
    }
    case "/metrics":
      // The response is opaque to this page (no CORS); the browser still sends the request, which is what counts.
      return `<script>fetch(${JSON.stringify(`${apiBase()}/metrics`)}, { mode: "no-cors", credentials: "include" })
        .then(() => { document.title = "sent"; }, () => { document.title = "failed"; });</script>`;
    default:
      return "";
  }
}

/** Opens one of the attacker's pages in `context` and returns the gateway's answer to the request it makes. */
async function attack(context: BrowserContext, path: string, target: string, method: string): Promise<{ status: number; title: string; page: Page }> {
  const page = await context.newPage();
  const answered = page.waitForResponse((r) => r.url().startsWith(target) && r.request().method() === method, { timeout: 15_000 });
  await page.goto(`${attackerOrigin}${path}`, { waitUntil: "commit" });
  const response = await answered;
  return { status: response.status(), title: await page.title(), page };
}

/** A trace socket opened with raw `ws` and the given handshake headers: 101 and the first record, or the refusal. */
function rawTrace(headers: Record<string, string>): Promise<{ status: number; first?: Record<string, unknown>; body?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${apiBase().replace(/^http/, "ws")}/clients/${CID}/trace`, { ...WS_CLIENT_OPTIONS, headers });
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    ws.once("message", (data: Buffer) => {
      resolve({ status: 101, first: JSON.parse(data.toString()) as Record<string, unknown> });
      ws.close(1000);
    });
    ws.on("error", reject);
  });
}

/** What the attacker's trace page got: "refused", or "read: " and the first record of the charge point's trace. */
async function traceFromAttacker(context: BrowserContext): Promise<string> {
  const page = await context.newPage();
  await page.goto(`${attackerOrigin}/trace`);
  await page.waitForFunction(() => document.title !== "", undefined, { timeout: 15_000 });
  return page.title();
}

/**
 * A charge point connected now (a new connection replaces the last one, which the idle timeout may have closed), so
 * that its broker link is connected and a restart would show in its `connects`.
 */
async function linkInUse(): Promise<void> {
  await cp?.client.close({ code: 1000 }).catch(() => undefined);
  cp = await connectChargePoint(inject("gatewayWs"), CID, CP_PASSWORD);
  for (let i = 0; i < 100 && !(await links()).some((l) => l.state === "connected"); i++) await new Promise((r) => setTimeout(r, 100));
}

async function expectNothingChanged(context: BrowserContext): Promise<void> {
  const usersBefore = await userIds();
  const superuser = await attack(context, "/superuser", `${apiBase()}/authentication/users`, "POST");
  expect(superuser.status).toBe(403);
  expect(await superuser.page.locator("body").textContent()).toContain('"code":"FORBIDDEN"');
  expect(await userIds()).toEqual(usersBefore);
  expect(await userIds()).not.toContain(EVIL_USER);

  await linkInUse();
  const linksBefore = await links();
  expect(linksBefore.some((l) => l.state === "connected")).toBe(true);
  const restart = await attack(context, "/restart", `${apiBase()}/broker/restart`, "POST");
  expect(restart.status).toBe(403);
  // A restart would drop and re-open the connected links at once; give one the time to have come back.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await links()).map((l) => [l.shard, l.state, l.connects])).toEqual(linksBefore.map((l) => [l.shard, l.state, l.connects]));
}

beforeAll(async () => {
  attacker = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><title></title></head><body>${attackerPage(req.url ?? "/")}</body></html>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  // `localhost` and `127.0.0.1` are different sites (and both loopback, so no Private Network Access preflight).
  attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
  // Users can only be created under an authenticator; the test's charge point is one of its users.
  if ((await script("GET", "/authentication")).status === 204) {
    const created = await script("POST", "/authentication", { backend: "built_in_database", mechanism: "password_based" });
    expect(created.status).toBe(201);
    createdAuthenticator = true;
  }
  expect((await script("POST", "/authentication/users", { user_id: CID, password: CP_PASSWORD })).status).toBe(201);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterEach(async () => {
  // Only there if an attack got through: the next test starts from the same user list.
  await script("DELETE", `/authentication/users/${EVIL_USER}`);
});

afterAll(async () => {
  await cp?.client.close({ code: 1000 }).catch(() => undefined);
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await script("DELETE", `/authentication/users/${CID}`);
  if (createdAuthenticator) await script("DELETE", "/authentication");
});

// Each browser test opens several pages and reconnects a charge point: more than the default 30 s on a busy machine.
const BROWSER_TEST = { timeout: 90_000 };

describe("a page on another site cannot use the operator's browser against the management API", () => {
  it("the API sends a browser no Basic challenge, so the browser never holds the key; a cross-site form changes nothing", BROWSER_TEST, async () => {
    // The operator opens an API URL in the browser, which would answer a Basic challenge with the key and secret
    // (Playwright's httpCredentials stand for the password dialog) and keep them for the origin.
    const context = await browser.newContext({ httpCredentials: { ...credentials(), origin: gateway() } });
    try {
      const page = await context.newPage();
      const opened = await page.goto(`${apiBase()}/clients`);
      expect(opened?.status()).toBe(401);
      expect(await opened?.headerValue("WWW-Authenticate")).toBeNull();
      expect(JSON.parse((await opened?.text()) ?? "")).toMatchObject({ code: "UNAUTHORIZED" });
      // So the browser has nothing to send by itself: a same-origin call without Authorization is refused too.
      expect(await page.evaluate(async (url) => (await fetch(url, { credentials: "include" })).status, `${apiBase()}/clients`)).toBe(401);
      await expectNothingChanged(context);
      expect(await traceFromAttacker(context)).toBe("refused");
    } finally {
      await context.close();
    }
  });

  it("with a browser that does send the key and secret by itself, cross-site forms, trace sockets and metrics reads are refused", BROWSER_TEST, async () => {
    // A browser that holds the credentials for the gateway (an older one that got a challenge, say): every
    // request it makes, whoever's page made it, carries them.
    const context = await browser.newContext({ extraHTTPHeaders: { Authorization: inject("adminAuth") } });
    try {
      // The same page on the gateway's own origin works with them: the browser really does hold the key.
      const own = await context.newPage();
      await own.goto(`${gateway()}/dashboard/`);
      expect(await own.evaluate(async (url) => (await fetch(url)).status, `${apiBase()}/clients`)).toBe(200);
      await expectNothingChanged(context);

      // Chromium sends neither a dialog's credentials nor these headers with a WebSocket handshake, so this page is
      // refused before the fix too; the raw-socket test below sends what a browser that does send them would.
      expect(await traceFromAttacker(context)).toBe("refused");

      const metrics = await attack(context, "/metrics", `${apiBase()}/metrics`, "GET");
      expect(metrics.status).toBe(403);
    } finally {
      await context.close();
    }
  });

  it("a trace socket with the key and secret is refused when a browser opens it for another site's page; tools still open it", async () => {
    // What a browser holding the key sends on a foreign page's WebSocket: the credentials, and that page's Origin
    // (WebSockets have no CORS; RFC 6455 §10.2 leaves the Origin check to the server).
    const authorization = inject("adminAuth");
    const hijack = await rawTrace({ Authorization: authorization, Origin: attackerOrigin });
    expect(hijack).toMatchObject({ status: 403, body: { code: "FORBIDDEN", reason: "cross_site" } });
    expect(await rawTrace({ Authorization: authorization, Origin: attackerOrigin, "Sec-Fetch-Site": "cross-site" })).toMatchObject({ status: 403 });
    expect(await rawTrace({ Authorization: authorization, Origin: gateway() })).toMatchObject({ status: 101, first: { dir: "hello", cid: CID } });
    expect(await rawTrace({ Authorization: authorization })).toMatchObject({ status: 101, first: { dir: "hello", cid: CID } });
  });

  it("scripts (no Origin, no Sec-Fetch-Site) keep working as before: the same calls succeed, the challenge is still sent", async () => {
    const created = await script("POST", "/authentication/users", { user_id: SCRIPT_USER, password: "chosen-by-the-operator", is_superuser: false });
    expect(created.status).toBe(201);
    expect((await script("DELETE", `/authentication/users/${SCRIPT_USER}`)).status).toBe(204);
    const challenged = await fetch(`${apiBase()}/clients`);
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get("WWW-Authenticate")).toMatch(/^Basic realm=/);
    expect((await script("GET", "/metrics")).status).toBe(200);
  });
});
