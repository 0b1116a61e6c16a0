// The operator dashboard in a real browser (Debian's chromium driven by playwright-core) against the gateway as
// `npm start` runs it: sign-in, the charge points table, the live trace, the configuration editor, kick.
// DASHBOARD_SCREENSHOTS=<dir> also saves a screenshot of each page there (docs/ holds the README's).
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectChargePoint, lastCallId, type RecordingClient } from "./support/charge-point";
import { Csms } from "./support/csms";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// As root and offline (../shared toolchain notes): no sandbox, no GPU, nothing fetched in the background.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];
const CID = "e2e-dash-cp";

let browser: Browser;
let page: Page;
let csms: Csms;
let cp: RecordingClient | undefined;
const pageErrors: string[] = [];

function adminCredentials(): { key: string; secret: string } {
  const [key, secret] = Buffer.from(inject("adminAuth").slice("Basic ".length), "base64").toString("utf8").split(":") as [string, string];
  return { key, secret };
}

async function screenshot(name: string): Promise<void> {
  const dir = process.env.DASHBOARD_SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, `dashboard-${name}.png`), fullPage: true });
}

async function signIn(secret: string): Promise<void> {
  await page.goto(`${inject("gatewayHttp")}/dashboard/`);
  await page.fill("input[name=key]", adminCredentials().key);
  await page.fill("input[name=secret]", secret);
  await page.click("button[type=submit]");
}

beforeAll(async () => {
  csms = await Csms.connect(inject("mqttUrl"), "#");
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("response", (r) => {
    if (r.status() === 404) pageErrors.push(`404: ${r.url()}`);
  });
  page.on("console", (m) => {
    // Refused API calls (401, 400) are what some tests provoke; anything else logged as an error is a fault.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
  });
});

afterAll(async () => {
  await cp?.client.close({ code: 1000 }).catch(() => undefined);
  await browser?.close();
  await csms?.close();
});

describe("the dashboard in a browser", () => {
  it("is served with a strict Content-Security-Policy and no cookie", async () => {
    const res = await fetch(`${inject("gatewayHttp")}/dashboard/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Security-Policy")).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/);
    expect(res.headers.get("Set-Cookie")).toBeNull();
    expect(await res.text()).not.toMatch(/<script>|<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it("refuses a wrong secret", async () => {
    await signIn("not-the-secret");
    expect(await page.getByRole("alert").textContent()).toBe("Wrong API key or secret.");
    expect(await page.locator("#nav").isHidden()).toBe(true);
    await screenshot("signin");
  });

  it("signs in with the API's key and secret and shows the overview", async () => {
    await signIn(adminCredentials().secret);
    await page.locator("#gateway-status").waitFor();
    expect(await page.locator("#gateway-status").textContent()).toBe("enabled");
    expect(await page.locator("main").textContent()).toContain("Broker links");
    expect(await page.context().cookies()).toEqual([]);
  });

  it("lists a charge point that connects", async () => {
    cp = await connectChargePoint(inject("gatewayWs"), CID);
    // Another page and back: the overview is read again, with the charge point connected.
    await page.click("a[href='#/clients']");
    await page.click("a[href='#/overview']");
    const count = page.locator("#connected-count .value");
    await count.waitFor();
    expect(Number(await count.textContent())).toBeGreaterThanOrEqual(1);
    await screenshot("overview");
    await page.click("a[href='#/clients']");
    await page.fill("#search", CID);
    await page.click("form.row button[type=submit]");
    await page.locator(`#clients tr[data-clientid='${CID}']`).waitFor();
    expect(await page.locator(`#clients tr[data-clientid='${CID}'] td`).nth(1).textContent()).toBe("1.6");
    await screenshot("clients");
  });

  it("shows its BootNotification and the CSMS's answer in the live trace", async () => {
    await page.click(`#clients a[href='#/clients/${CID}']`);
    await page.locator("#trace-status .on").waitFor();
    const client = cp as RecordingClient;
    const boot = client.client.call("BootNotification", { chargePointVendor: "Dash", chargePointModel: "Browser" });
    const call = await csms.on(`ocpp/cp/${CID}`, undefined);
    const uniqueId = lastCallId(client, "BootNotification");
    expect(call.body).toMatchObject({ UniqueId: uniqueId, Action: "BootNotification" });
    await csms.publish(`ocpp/cs/${CID}`, { MessageTypeId: 3, UniqueId: uniqueId, Payload: { status: "Accepted", currentTime: new Date().toISOString(), interval: 300 } });
    await boot;
    const incoming = page.locator(`#trace tr[data-dir='in'][data-unique-id='${uniqueId}']`);
    await incoming.waitFor();
    expect(await incoming.getAttribute("data-action")).toBe("BootNotification");
    expect(await incoming.locator("pre").textContent()).toContain('"chargePointVendor": "Dash"');
    const answer = page.locator(`#trace tr[data-dir='out'][data-unique-id='${uniqueId}']`);
    await answer.waitFor();
    expect(await answer.getAttribute("data-type")).toBe("CALLRESULT");
    expect(await answer.locator("pre").textContent()).toContain('"status": "Accepted"');
    // The CSMS's answer names no Action (nor does the frame); the row shows the call it answers all the same.
    expect(await answer.getAttribute("data-action")).toBe("BootNotification");
    const delivered = page.locator(`#trace tr[data-dir='down'][data-unique-id='${uniqueId}']`);
    expect(await delivered.getAttribute("data-action")).toBe("BootNotification");
    await screenshot("trace");
  });

  it("shows the server's error at the field for a bad configuration value", async () => {
    await page.click("a[href='#/settings']");
    const editor = page.locator("#config-editor");
    await editor.waitFor();
    const config = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    expect(config).not.toHaveProperty("status");
    await editor.fill(JSON.stringify({ ...config, max_frame_size: -5 }, null, 2));
    await page.click("#save-config");
    const error = page.locator(".field-error[data-field='max_frame_size']");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^max_frame_size: /);
    await screenshot("settings");
  });

  it("kicks the charge point after asking, and it leaves the table", async () => {
    const closed = new Promise<{ code: number; reason: string }>((resolve) => cp?.client.once("close", resolve));
    await page.click("a[href='#/clients']");
    const row = page.locator(`#clients tr[data-clientid='${CID}']`);
    await row.waitFor();
    await row.getByRole("button", { name: "Kick" }).click();
    await row.getByRole("button", { name: "Yes" }).click();
    await row.waitFor({ state: "detached" });
    expect(await closed).toMatchObject({ code: 1000, reason: "kicked" });
    expect(pageErrors).toEqual([]);
  });
});
