// The live trace through the real Worker and ChargePoint object: what a watcher sees, that a watcher is never
// taken for the charge point's connection, and who may open one.
import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_WATCHERS, TRACE_TEXT_MAX } from "../../src/shard/trace";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;
const BASE = "http://gateway/api/v5/gateways/ocpp";

interface TraceRecord {
  dir: string;
  text?: string;
  topic?: string;
  len?: number;
  truncated?: boolean;
  connected?: boolean;
  action?: string;
}

class Watcher {
  private readonly records: TraceRecord[] = [];
  private readonly waiting = new Set<() => void>();
  closed: { code: number } | undefined;

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      this.records.push(JSON.parse(e.data as string) as TraceRecord);
      for (const w of this.waiting) w();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code };
      this.records.push({ dir: "closed" });
      for (const w of this.waiting) w();
    });
  }

  static async open(cid: string, headers: Record<string, string> = { Authorization: AUTH }): Promise<Watcher> {
    const res = await upgrade(cid, headers);
    if (res.status !== 101 || res.webSocket === null) throw new Error(`trace refused: ${res.status} ${await res.text()}`);
    res.webSocket.accept();
    return new Watcher(res.webSocket);
  }

  /** The first record (oldest first, consumed up to it) that `match` accepts. */
  next(match: (r: TraceRecord) => boolean, timeoutMs = 5000): Promise<TraceRecord> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        while (this.records.length > 0) {
          const r = this.records.shift() as TraceRecord;
          if (match(r)) {
            this.waiting.delete(listener);
            clearTimeout(timer);
            resolve(r);
            return true;
          }
        }
        return false;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.waiting.delete(listener);
        reject(new Error("watcher: no matching record"));
      }, timeoutMs);
      if (!check()) this.waiting.add(listener);
    });
  }

  close(): void {
    this.ws.close(1000);
  }
}

function upgrade(cid: string, headers: Record<string, string>): Promise<Response> {
  return SELF.fetch(`${BASE}/clients/${encodeURIComponent(cid)}/trace`, { headers: { Upgrade: "websocket", ...headers } });
}

function api(path: string, method = "GET"): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { method, headers: { Authorization: AUTH } });
}

async function stats(cid: string): Promise<{ recv_msg: number; send_msg: number } | undefined> {
  const res = await api(`/clients/${cid}`);
  if (res.status === 404) return undefined;
  return (await res.json()) as { recv_msg: number; send_msg: number };
}

let csms: MqttProbe;
const on = (topic: string, uniqueId: string) => (m: Received) => m.topic === topic && m.json().UniqueId === uniqueId;
const frame = (dir: string, uniqueId: string) => (r: TraceRecord) => r.dir === dir && r.text !== undefined && r.text.includes(`"${uniqueId}"`);

async function connected(cid: string): Promise<ChargePointSocket> {
  const cp = await ChargePointSocket.open(cid);
  cp.send([2, `${cid}-hb`, "Heartbeat", {}]);
  await csms.next(on(`ocpp/cp/${cid}`, `${cid}-hb`));
  return cp;
}

beforeAll(async () => {
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

describe("what a watcher sees", () => {
  it("frames in and out, the envelopes published and delivered, and lifecycle events", async () => {
    const watcher = await Watcher.open("t-sees");
    expect(await watcher.next((r) => r.dir === "hello")).toMatchObject({ connected: false });
    const cp = await ChargePointSocket.open("t-sees");
    expect((await watcher.next((r) => r.dir === "up" && r.topic === "ocpp/events/t-sees")).text).toContain("client.connected");
    cp.send([2, "boot-1", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" }]);
    expect((await watcher.next(frame("in", "boot-1"))).text).toContain("BootNotification");
    expect(await watcher.next(frame("up", "boot-1"))).toMatchObject({ topic: "ocpp/cp/t-sees" });
    await csms.next(on("ocpp/cp/t-sees", "boot-1"));
    const answer = { MessageTypeId: 3, UniqueId: "boot-1", Payload: { status: "Accepted", currentTime: new Date().toISOString(), interval: 60 } };
    await csms.publish("ocpp/cs/t-sees", answer);
    // Neither the CSMS's envelope nor the CALLRESULT frame names the call; the records say which one it answers.
    expect(await watcher.next(frame("down", "boot-1"))).toMatchObject({ dir: "down", action: "BootNotification" });
    const out = await watcher.next(frame("out", "boot-1"));
    expect(out.text).toMatch(/^\[3,"boot-1",\{"status":"Accepted"/);
    expect(out.action).toBe("BootNotification");
    expect(await cp.nextFrame()).toMatchObject([3, "boot-1", { status: "Accepted" }]);
    // The same for the CSMS's CALLERROR.
    cp.send([2, "dt-1", "DataTransfer", { vendorId: "V" }]);
    await csms.next(on("ocpp/cp/t-sees", "dt-1"));
    await csms.publish("ocpp/cs/t-sees", { MessageTypeId: 4, UniqueId: "dt-1", ErrorCode: "NotImplemented", ErrorDescription: "no" });
    expect(await watcher.next(frame("down", "dt-1"))).toMatchObject({ action: "DataTransfer" });
    const error = await watcher.next(frame("out", "dt-1"));
    expect(error).toMatchObject({ action: "DataTransfer" });
    expect(error.text).toMatch(/^\[4,"dt-1","NotImplemented"/);
    expect(await cp.nextFrame()).toEqual([4, "dt-1", "NotImplemented", "no", {}]);
    // An invalid call: the gateway's CALLERROR goes out, and the watcher sees it.
    cp.send([2, "bad-1", "Heartbeat", { unexpected: true }]);
    expect((await watcher.next(frame("out", "bad-1"))).text).toMatch(/^\[4,"bad-1"/);
    cp.close();
    expect((await watcher.next((r) => r.dir === "up" && r.text?.includes("client.disconnected") === true)).topic).toBe("ocpp/events/t-sees");
    watcher.close();
  });

  it("a long frame is cut in the copy; the charge point's frame itself is relayed whole", async () => {
    const cp = await connected("t-long");
    const watcher = await Watcher.open("t-long");
    const vendor = "x".repeat(TRACE_TEXT_MAX);
    cp.send([2, "long-1", "DataTransfer", { vendorId: "v", data: vendor }]);
    const copy = await watcher.next(frame("in", "long-1"));
    expect(copy).toMatchObject({ truncated: true, len: expect.any(Number) });
    expect(copy.text?.length).toBe(TRACE_TEXT_MAX);
    expect(copy.len).toBeGreaterThan(TRACE_TEXT_MAX);
    expect((await csms.next(on("ocpp/cp/t-long", "long-1"))).json()).toMatchObject({ Payload: { data: vendor } });
    watcher.close();
    cp.close();
  });
});

describe("a watcher is not the charge point's connection", () => {
  it("does not count as a connection, cannot send into the session, and closing it leaves the charge point connected", async () => {
    const watcher = await Watcher.open("t-iso");
    await watcher.next((r) => r.dir === "hello");
    // Only a watcher: nobody is connected.
    expect(await stats("t-iso")).toBeUndefined();
    expect((await api("/clients/t-iso", "DELETE")).status).toBe(404);

    const cp = await connected("t-iso");
    const listed = (await (await api("/clients?like_clientid=t-iso")).json()) as { meta: { count: number } };
    expect(listed.meta.count).toBe(1);
    const before = await stats("t-iso");

    // What the watcher sends goes nowhere: no frame is counted, published, or sent to the charge point.
    watcher.ws.send(JSON.stringify([2, "from-watcher", "Heartbeat", {}]));
    cp.send([2, "after-watcher", "Heartbeat", {}]);
    await csms.next(on("ocpp/cp/t-iso", "after-watcher"));
    await expect(csms.next((m) => m.text.includes("from-watcher"), 500)).rejects.toThrow(/no matching message/);
    expect((await stats("t-iso"))?.recv_msg).toBe((before?.recv_msg ?? 0) + 1);
    expect(watcher.closed).toBeUndefined();

    // Closing the watcher does not end the charge point's connection.
    watcher.close();
    cp.send([2, "after-close", "Heartbeat", {}]);
    await csms.next(on("ocpp/cp/t-iso", "after-close"));
    expect(cp.closed).toBeUndefined();
    expect(await stats("t-iso")).toMatchObject({ recv_msg: (before?.recv_msg ?? 0) + 2 });
    cp.close();
  });

  it("is neither kicked nor replaced with the charge point", async () => {
    const first = await connected("t-kick");
    const watcher = await Watcher.open("t-kick");
    // A new connection replaces the charge point's old one, not the watcher.
    const second = await connected("t-kick");
    expect(await first.whenClosed()).toMatchObject({ code: 1000 });
    expect(watcher.closed).toBeUndefined();
    // A kick closes the charge point's connection, and the watcher sees it go.
    expect((await api("/clients/t-kick", "DELETE")).status).toBe(204);
    expect(await second.whenClosed()).toMatchObject({ code: 1000, reason: "kicked" });
    expect((await watcher.next((r) => r.dir === "up" && r.text?.includes('"kicked"') === true)).text).toContain("client.disconnected");
    expect(watcher.closed).toBeUndefined();
    // With only the watcher left, there is nothing to kick.
    expect((await api("/clients/t-kick", "DELETE")).status).toBe(404);
    watcher.close();
  });
});

describe("who may watch", () => {
  it.each([
    ["no credentials", {}],
    ["a wrong secret", { Authorization: `Basic ${btoa("test-key:nope")}` }],
    ["a made-up token", { "Sec-WebSocket-Protocol": "ocpp-trace, token.4102444800000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }],
  ])("%s → 401", async (_what, headers: Record<string, string>) => {
    const res = await upgrade("t-auth", headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("a token from the API opens the trace of its charge point only, offered as a subprotocol", async () => {
    const issued = await api("/clients/t-auth/trace", "POST");
    expect(issued.status).toBe(201);
    const { token, protocols } = (await issued.json()) as { token: string; protocols: string[] };
    expect(protocols).toEqual(["ocpp-trace", `token.${token}`]);
    const other = await upgrade("t-other", { "Sec-WebSocket-Protocol": protocols.join(", ") });
    expect(other.status).toBe(401);
    const res = await upgrade("t-auth", { "Sec-WebSocket-Protocol": protocols.join(", ") });
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("ocpp-trace");
    res.webSocket?.accept();
    res.webSocket?.close(1000);
  });

  it("a token is issued only with the API's credentials, for a valid charge point id", async () => {
    const anonymous = await SELF.fetch(`${BASE}/clients/t-auth/trace`, { method: "POST" });
    expect(anonymous.status).toBe(401);
    expect((await api("/clients/a%2Bb/trace", "POST")).status).toBe(400);
  });

  it(`at most ${MAX_WATCHERS} watchers per charge point`, async () => {
    const watchers = await Promise.all(Array.from({ length: MAX_WATCHERS }, () => Watcher.open("t-many")));
    const refused = await upgrade("t-many", { Authorization: AUTH });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    // A watcher that leaves frees its place.
    const [leaving, ...staying] = watchers as [Watcher, ...Watcher[]];
    leaving.close();
    await leaving.next((r) => r.dir === "closed").catch(() => undefined);
    const another = await Watcher.open("t-many");
    for (const w of [...staying, another]) w.close();
  });
});
