// Bad input over a raw WebSocket: every bad frame gets a clear answer or a counted close, never a hang.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { WS_CLIENT_OPTIONS } from "./support/charge-point";
import { Csms } from "./support/csms";

let csms: Csms;
beforeAll(async () => {
  csms = await Csms.connect(inject("mqttUrl"), "ocpp/#");
});
afterAll(async () => {
  await csms?.close();
});

interface Raw {
  ws: WebSocket;
  next(timeoutMs?: number): Promise<unknown[]>;
  closed: Promise<{ code: number; reason: string }>;
}

function open(path: string, protocols: string[] = ["ocpp1.6"]): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${inject("gatewayWs")}/${path}`, protocols, WS_CLIENT_OPTIONS);
    const frames: unknown[][] = [];
    const waiting = new Set<() => void>();
    ws.on("message", (data) => {
      frames.push(JSON.parse(data.toString()) as unknown[]);
      for (const w of waiting) w();
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on("close", (code, reason) => r({ code, reason: reason.toString() })));
    ws.on("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on("error", reject);
    ws.on("open", () =>
      resolve({
        ws,
        closed,
        next: (timeoutMs = 5000) =>
          new Promise((res, rej) => {
            const check = (): boolean => {
              const f = frames.shift();
              if (f === undefined) return false;
              waiting.delete(l);
              clearTimeout(t);
              res(f);
              return true;
            };
            const l = (): void => void check();
            const t = setTimeout(() => {
              waiting.delete(l);
              rej(new Error("no frame"));
            }, timeoutMs);
            if (!check()) waiting.add(l);
          }),
      }),
    );
  });
}

function refusal(path: string, protocols: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${inject("gatewayWs")}/${path}`, protocols, WS_CLIENT_OPTIONS);
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    ws.on("open", () => reject(new Error("upgrade unexpectedly accepted")));
    ws.on("error", () => undefined);
  });
}

describe("malformed frames over a raw socket", () => {
  it("answers a readable but malformed CALL, ignores unreadable frames, and keeps relaying", async () => {
    const raw = await open("e2e-raw-1");
    raw.ws.send("{{{ not json");
    raw.ws.send('[2,"x1","Heartbeat"]');
    expect(await raw.next()).toEqual([4, "x1", "ProtocolError", "CALL must have 4 elements: [2, UniqueId, Action, Payload]", {}]);
    raw.ws.send('[2,"x2","Heartbeat",{}]');
    expect((await csms.on("ocpp/cp/e2e-raw-1", "x2")).body).toEqual({ MessageTypeId: 2, UniqueId: "x2", Action: "Heartbeat", Payload: {} });
    raw.ws.close(1000);
    expect((await raw.closed).code).toBe(1000);
  });

  it("forwards payload bytes unchanged (no re-encoding of numbers)", async () => {
    const raw = await open("e2e-raw-bytes");
    const payload = '{ "connectorId" : 1.0, "idTag":"T\\u0041G", "meterStart":1.0e3, "timestamp":"2023-12-01T14:20:39Z" }';
    raw.ws.send(`[2,"p1","StartTransaction",${payload}]`);
    const call = await csms.on("ocpp/cp/e2e-raw-bytes", "p1");
    expect(call.raw).toBe(`{"MessageTypeId":2,"UniqueId":"p1","Action":"StartTransaction","Payload":${payload}}`);
    raw.ws.close(1000);
  });

  it("closes on a binary frame", async () => {
    const raw = await open("e2e-raw-binary");
    raw.ws.send(Buffer.from([0x5b, 0x5d]));
    expect(await raw.closed).toEqual({ code: 1003, reason: "binary frames are not supported" });
  });

  it("closes a charge point that keeps sending garbage", async () => {
    const raw = await open("e2e-raw-garbage");
    for (let i = 0; i < 10; i++) raw.ws.send(`nonsense ${i}`);
    expect(await raw.closed).toEqual({ code: 1008, reason: "too many malformed frames" });
  });

  it("a close without a status code is reciprocated with 1000 (1005 must not be sent back), no hang", async () => {
    const raw = await open("e2e-raw-noclose-code");
    raw.ws.close();
    expect((await raw.closed).code).toBe(1000);
  });
});

describe("duplicate keys and unknown error codes are refused, never relayed", () => {
  it("a CALL with a duplicate key gets CALLERROR FormationViolation and is not published", async () => {
    const raw = await open("e2e-raw-dupkey");
    raw.ws.send('[2,"dup1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","chargePointVendor":"' + "x".repeat(500) + '"}]');
    expect(await raw.next()).toEqual([4, "dup1", "FormationViolation", "frame has a duplicate key at /3/chargePointVendor", {}]);
    // A later call is published; the refused one, which would have come first, never was.
    raw.ws.send('[2,"dup2","Heartbeat",{}]');
    await csms.on("ocpp/cp/e2e-raw-dupkey", "dup2");
    expect(csms.all("ocpp/cp/e2e-raw-dupkey").filter((e) => e.body.UniqueId === "dup1")).toEqual([]);
    raw.ws.close(1000);
  });

  it("a CSMS envelope with a duplicate key gets a gateway error envelope and never reaches the charge point", async () => {
    const raw = await open("e2e-raw-dupenv");
    await csms.publish("ocpp/cs/e2e-raw-dupenv", '{"MessageTypeId":2,"UniqueId":"r1","Action":"Reset","Payload":{"type":"Bogus","type":"Hard"}}');
    const error = await csms.on("ocpp/cp/e2e-raw-dupenv/Reply", "r1");
    expect(error.body).toMatchObject({
      MessageTypeId: 4,
      UniqueId: "r1",
      Action: "Reset",
      ErrorCode: "FormationViolation",
      Origin: "gateway",
      Reason: "malformed",
    });
    expect(error.body.ErrorDescription).toContain("duplicate key at /Payload/type");
    // The next call is the first frame the charge point sees.
    await csms.publish("ocpp/cs/e2e-raw-dupenv", { MessageTypeId: 2, UniqueId: "r2", Action: "ClearCache", Payload: {} });
    expect(await raw.next()).toEqual([2, "r2", "ClearCache", {}]);
    raw.ws.close(1000);
  });

  it("a CALLRESULT with a duplicate key answering a CSMS call is reported to the CSMS as malformed, not published", async () => {
    const raw = await open("e2e-raw-dupresult");
    await csms.publish("ocpp/cs/e2e-raw-dupresult", { MessageTypeId: 2, UniqueId: "q1", Action: "ClearCache", Payload: {} });
    expect(await raw.next()).toEqual([2, "q1", "ClearCache", {}]);
    raw.ws.send('[3,"q1",{"status":"Rejected","status":"Accepted"}]');
    const error = await csms.on("ocpp/cp/e2e-raw-dupresult/Reply", "q1");
    expect(error.body).toMatchObject({ UniqueId: "q1", Action: "ClearCache", ErrorCode: "FormationViolation", Origin: "gateway", Reason: "malformed" });
    expect(error.body.ErrorDescription).toContain("duplicate key at /2/status");
    expect(csms.all("ocpp/cp/e2e-raw-dupresult/Reply").filter((e) => e.body.UniqueId === "q1")).toEqual([]);
    raw.ws.close(1000);
  });

  it("a CSMS CALLERROR with an unknown error code gets a gateway error envelope and is not sent", async () => {
    const raw = await open("e2e-raw-badcode");
    raw.ws.send('[2,"hb1","Heartbeat",{}]');
    await csms.on("ocpp/cp/e2e-raw-badcode", "hb1");
    await csms.publish("ocpp/cs/e2e-raw-badcode", { MessageTypeId: 4, UniqueId: "hb1", ErrorCode: "Anything Goes \n", ErrorDescription: "x" });
    const error = await csms.on("ocpp/cp/e2e-raw-badcode/Reply", "hb1");
    expect(error.body).toMatchObject({ MessageTypeId: 4, UniqueId: "hb1", ErrorCode: "FormationViolation", Origin: "gateway", Reason: "malformed" });
    expect(error.body.ErrorDescription).toContain("is not an OCPP 1.6 error code");
    // A corrected answer still goes through, and it is the first frame the charge point sees.
    await csms.publish("ocpp/cs/e2e-raw-badcode", { MessageTypeId: 4, UniqueId: "hb1", ErrorCode: "GenericError", ErrorDescription: "x" });
    expect(await raw.next()).toEqual([4, "hb1", "GenericError", "x", {}]);
    raw.ws.close(1000);
  });
});

describe("upgrade refusals seen by a real client", () => {
  it("refuses an unsupported subprotocol with 400", async () => {
    expect(await refusal("e2e-raw-proto", ["ocpp2.0", "ocpp1.5"])).toEqual({
      status: 400,
      body: expect.objectContaining({ reason: "no_supported_subprotocol" }),
    });
  });

  it("refuses an id with a topic wildcard with 400", async () => {
    expect(await refusal("a%2Bb", ["ocpp1.6"])).toEqual({ status: 400, body: expect.objectContaining({ reason: "unsupported_clientid" }) });
  });
});
