import { describe, expect, it } from "vitest";
import { OCPP21 } from "../../src/ocpp/protocol";
import { checkKeepalive } from "../../src/session/lifecycle";
import { Outbox } from "../../src/session/outbox";
import { config, fakeRelay } from "./support/fake-relay";
import { FakeLink, MemoryOutboxStore } from "./support/memory-outbox";

const setup = fakeRelay;

describe("upstream", () => {
  it("publishes a CALL on the call topic, honouring topic_override_mapping", async () => {
    const t = setup({ config: config({ upstream: { topic_override_mapping: { BootNotification: "cp/${cid}/Notify/${action}" } } }) });
    await t.relay.fromChargePoint('[2,"1","BootNotification",{"chargePointVendor":"v","chargePointModel":"m"}]');
    await t.relay.fromChargePoint('[2,"2","Heartbeat",{}]');
    expect(t.published.map((p) => p.topic)).toEqual(["ocpp/cp/CP1/Notify/BootNotification", "ocpp/cp/CP1"]);
    expect(t.state).toMatchObject({ recv: 2, badFrames: 0 });
  });

  it("answers a malformed CALL with a CALLERROR and publishes nothing", async () => {
    const t = setup();
    await t.relay.fromChargePoint('[2,"9","Heartbeat"]');
    expect(t.sent).toEqual([[4, "9", "ProtocolError", "CALL must have 4 elements: [2, UniqueId, Action, Payload]", {}]]);
    expect(t.published).toEqual([]);
  });

  it("does not answer unreadable frames, and closes after max_bad_frames in a row", async () => {
    const t = setup({ config: config({ max_bad_frames: 3 }) });
    await t.relay.fromChargePoint("garbage");
    await t.relay.fromChargePoint('[2,"ok","Heartbeat",{}]');
    await t.relay.fromChargePoint("garbage");
    await t.relay.fromChargePoint("garbage");
    expect(t.closed).toEqual([]);
    await t.relay.fromChargePoint("garbage");
    expect(t.sent).toEqual([]);
    expect(t.closed).toEqual([{ code: 1008, reason: "protocol_error", text: "too many malformed frames" }]);
    expect(t.state).toMatchObject({ recv: 5, badFrames: 3, malformed: 4 });
  });

  it("adds the answered call's Action to the charge point's CALLRESULT and CALLERROR", async () => {
    const t = setup();
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs-7","Action":"RemoteStartTransaction","Payload":{"idTag":"ABC"}}');
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs-8","Action":"Reset","Payload":{"type":"Soft"}}');
    await t.relay.fromChargePoint('[3,"cs-7",{"status":"Accepted"}]');
    await t.relay.fromChargePoint('[4,"cs-8","NotSupported","no",{}]');
    await t.relay.fromChargePoint('[3,"unknown",{}]');
    expect(t.published).toEqual([
      { topic: "ocpp/cp/CP1/Reply", message: { MessageTypeId: 3, UniqueId: "cs-7", Action: "RemoteStartTransaction", Payload: { status: "Accepted" } } },
      {
        topic: "ocpp/cp/CP1/Reply",
        message: { MessageTypeId: 4, UniqueId: "cs-8", Action: "Reset", ErrorCode: "NotSupported", ErrorDescription: "no", ErrorDetails: {} },
      },
      { topic: "ocpp/cp/CP1/Reply", message: { MessageTypeId: 3, UniqueId: "unknown", Payload: {} } },
    ]);
    expect([t.store.inflight, t.store.queue.length]).toEqual([undefined, 0]);
  });

  it("tells the CSMS when the charge point's answer to its call is malformed", async () => {
    const t = setup();
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs-1","Action":"Reset","Payload":{"type":"Hard"}}');
    await t.relay.fromChargePoint('[3,"cs-1"]');
    expect(t.published).toEqual([
      {
        topic: "ocpp/cp/CP1/Reply",
        message: expect.objectContaining({ MessageTypeId: 4, UniqueId: "cs-1", Action: "Reset", ErrorCode: "FormationViolation", Origin: "gateway" }),
      },
    ]);
  });

  it("answers a CALL with InternalError when the broker cannot take it", async () => {
    const t = setup({ publishFails: true });
    await t.relay.fromChargePoint('[2,"h1","Heartbeat",{}]');
    expect(t.sent).toEqual([[4, "h1", "InternalError", "upstream unavailable", {}]]);
  });
});

describe("downstream", () => {
  it("turns each envelope type into one frame", async () => {
    const t = setup();
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"r1","Action":"Reset","Payload":{"type":"Soft"}}');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"b1","Payload":{"status":"Accepted","interval":300,"currentTime":"2023-12-01T14:20:39+00:00"}}');
    await t.relay.fromCsms('{"MessageTypeId":4,"UniqueId":"e1","ErrorCode":"GenericError","ErrorDescription":"d"}');
    expect(t.sent).toEqual([
      [2, "r1", "Reset", { type: "Soft" }],
      [3, "b1", { status: "Accepted", interval: 300, currentTime: "2023-12-01T14:20:39+00:00" }],
      [4, "e1", "GenericError", "d", {}],
    ]);
    expect(t.state.sent).toBe(3);
  });

  it("reports an invalid envelope with a UniqueId on the error topic, sending nothing", async () => {
    const t = setup();
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"r2","Action":"Reset"}');
    await t.relay.fromCsms("not json");
    expect(t.sent).toEqual([]);
    expect(t.published).toEqual([
      {
        topic: "ocpp/cp/CP1/Reply",
        message: {
          MessageTypeId: 4,
          UniqueId: "r2",
          Action: "Reset",
          ErrorCode: "ProtocolError",
          ErrorDescription: "envelope not sent to the charge point: envelope has no Payload",
          ErrorDetails: {},
          Origin: "gateway",
          Reason: "malformed",
        },
      },
    ]);
  });

  it("a malformed answer to one of the charge point's calls is reported with that call's Action", async () => {
    const t = setup();
    await t.relay.fromChargePoint('[2,"b1","BootNotification",{"chargePointVendor":"v","chargePointModel":"m"}]');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"b1"}');
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([expect.objectContaining({ UniqueId: "b1", Action: "BootNotification", Reason: "malformed" })]);
    expect(t.sent).toEqual([]);
  });

  it("reports a call to a charge point that is not connected", async () => {
    const t = setup({ connected: false });
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"r3","Action":"Reset","Payload":{"type":"Soft"}}');
    expect(t.published[0]?.message).toMatchObject({ UniqueId: "r3", Action: "Reset", ErrorDescription: "charge point is not connected", Origin: "gateway" });
    expect([t.store.inflight, t.store.queue.length]).toEqual([undefined, 0]);
  });
});

describe("limits", () => {
  it("rate limit: bursts of twice max_frames_per_second; an excess CALL gets a CALLERROR, refilled over time", async () => {
    const t = setup({ config: config({ max_frames_per_second: 2 }) });
    for (let i = 0; i < 5; i++) await t.relay.fromChargePoint(`[2,"h${i}","Heartbeat",{}]`);
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toEqual(["h0", "h1", "h2", "h3"]);
    expect(t.sent).toEqual([[4, "h4", "GenericError", "rate limit exceeded: at most 2 frames per second", {}]]);
    t.clock.now += 500;
    await t.relay.fromChargePoint('[2,"h5","Heartbeat",{}]');
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toContain("h5");
    expect(t.closed).toEqual([]);
  });

  it("rate limit: an excess frame that is not a CALL closes the connection (1008)", async () => {
    const t = setup({ config: config({ max_frames_per_second: 1 }) });
    await t.relay.fromChargePoint('[3,"x",{}]');
    await t.relay.fromChargePoint('[3,"y",{}]');
    await t.relay.fromChargePoint('[3,"z",{}]');
    expect(t.closed).toEqual([{ code: 1008, reason: "rate_limited", text: "rate limit exceeded: at most 1 frames per second" }]);
  });

  it("rate limit: frames are counted when they arrived, not when their turn came (a slow publish does not make a burst)", async () => {
    const t = setup({ config: config({ max_frames_per_second: 2 }) });
    const start = t.clock.now;
    // 10 calls sent at 2 per second, all handled 5 s after the first arrived (the broker was slow to confirm).
    t.clock.now = start + 5_000;
    for (let i = 0; i < 10; i++) await t.relay.fromChargePoint(`[2,"h${i}","Heartbeat",{}]`, start + i * 500);
    expect(t.sent).toEqual([]);
    expect(t.on("ocpp/cp/CP1")).toHaveLength(10);
  });

  it("rate limit: a charger that waits for each answer (OCPP-J one outstanding call) is never refused", async () => {
    const t = setup({ config: config({ max_frames_per_second: 1 }) });
    // An offline queue of 60 MeterValues flushed as fast as the CSMS answers, all within the same millisecond.
    for (let i = 0; i < 60; i++) {
      await t.relay.fromChargePoint(`[2,"m${i}","MeterValues",{"connectorId":1,"meterValue":[]}]`);
      await t.relay.fromCsms(`{"MessageTypeId":3,"UniqueId":"m${i}","Payload":{}}`);
    }
    expect(t.on("ocpp/cp/CP1")).toHaveLength(60);
    expect(t.sent.filter((f) => (f as unknown[])[0] === 4)).toEqual([]);
    expect(t.closed).toEqual([]);
  });

  it("rate limit: answers to the gateway's own queued calls are never refused", async () => {
    const t = setup({ config: config({ max_frames_per_second: 1 }) });
    for (let i = 0; i < 60; i++) await t.relay.fromCsms(`{"MessageTypeId":2,"UniqueId":"q${i}","Action":"Reset","Payload":{"type":"Soft"}}`);
    for (let i = 0; i < 60; i++) await t.relay.fromChargePoint(`[3,"q${i}",{"status":"Accepted"}]`);
    expect(t.closed).toEqual([]);
    expect(t.on("ocpp/cp/CP1/Reply").map((m) => [m.UniqueId, m.Action])).toEqual(Array.from({ length: 60 }, (_, i) => [`q${i}`, "Reset"]));
    expect(t.published.filter((p) => p.message.Origin === "gateway")).toEqual([]);
  });

  it("rate limit: calls that do not wait for answers are still refused, also when the gateway answered them itself", async () => {
    const t = setup({ config: config({ max_frames_per_second: 1 }) });
    // Invalid calls are answered by the gateway at once; those answers do not pace the charger.
    for (let i = 0; i < 5; i++) await t.relay.fromChargePoint(`[2,"b${i}","BootNotification",{}]`);
    const codes = t.sent.map((f) => (f as unknown[])[2]);
    expect(codes.slice(0, 2)).toEqual(["OccurenceConstraintViolation", "OccurenceConstraintViolation"]);
    expect(codes.slice(2)).toEqual(["GenericError", "GenericError", "GenericError"]);
  });

  it("rate limit (defaults): a charger that waits for every answer, the gateway's own refusals included, is never refused a valid call", async () => {
    const t = setup();
    // 144 calls at full speed, one at a time, 60 % of them invalid (a BootNotification without its fields): each goes the
    // moment the answer to the previous one reached the charger, whether the CSMS or the gateway gave it.
    const isInvalid = (i: number) => i % 5 < 3;
    for (let i = 0; i < 144; i++) {
      const before = t.sent.length;
      if (isInvalid(i)) await t.relay.fromChargePoint(`[2,"c${i}","BootNotification",{}]`);
      else if (i % 2 === 0) await t.relay.fromChargePoint(`[2,"c${i}","Heartbeat",{}]`);
      else await t.relay.fromChargePoint(`[2,"c${i}","MeterValues",{"connectorId":1,"meterValue":[]}]`);
      if (t.sent.length > before) {
        t.clock.now = t.sentAt.at(-1) as number;
      } else {
        const payload = i % 2 === 0 ? '{"currentTime":"2024-01-01T00:00:00Z"}' : "{}";
        await t.relay.fromCsms(`{"MessageTypeId":3,"UniqueId":"c${i}","Payload":${payload}}`);
      }
    }
    const valid = Array.from({ length: 144 }, (_, i) => i).filter((i) => !isInvalid(i));
    expect(t.sent.filter((f) => (f as unknown[])[2] === "GenericError")).toEqual([]);
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toEqual(valid.map((i) => `c${i}`));
    expect(t.sent.filter((f) => (f as unknown[])[0] === 4)).toHaveLength(144 - valid.length);
    expect(t.closed).toEqual([]);
    // Paced, not free: the refusals beyond the burst (40) went out no faster than 20 a second.
    expect(t.clock.now - 1_700_000_000_000).toBeGreaterThanOrEqual(((144 - valid.length - 40) / 20) * 1000);
  });

  it("rate limit (defaults): a charger that does not wait for the gateway's paced refusals is refused, then closed", async () => {
    const t = setup();
    // Every call arrives before the answer to the one before it (the clock does not move).
    for (let i = 0; i < 100 && t.closed.length === 0; i++) await t.relay.fromChargePoint(`[2,"b${i}","BootNotification",{}]`);
    const codes = t.sent.map((f) => (f as unknown[])[2]);
    expect(codes.slice(0, 40)).toEqual(Array.from({ length: 40 }, () => "OccurenceConstraintViolation"));
    expect(codes.slice(40)).toEqual(Array.from({ length: 9 }, () => "GenericError"));
    expect(t.closed).toEqual([{ code: 1008, reason: "rate_limited", text: "rate limit exceeded: at most 20 frames per second" }]);
  });

  it("rate limit: a malformed CALL over the limit is answered, not taken as a reason to close", async () => {
    const t = setup({ config: config({ max_frames_per_second: 1 }) });
    for (let i = 0; i < 2; i++) await t.relay.fromChargePoint(`[2,"h${i}","Heartbeat",{}]`);
    await t.relay.fromChargePoint('[2,"bad","Heartbeat",[]]');
    expect(t.closed).toEqual([]);
    expect(t.sent).toEqual([[4, "bad", "GenericError", "rate limit exceeded: at most 1 frames per second", {}]]);
  });

  it("rate limit: malformed frames take tokens, and a run of max_bad_frames refusals closes (no free flood of bad CALLs)", async () => {
    const t = setup({ config: config({ max_frames_per_second: 1, max_bad_frames: 5 }) });
    // Alternating: a valid call over the limit does not reset the run. (The object drops frames after a close.)
    const frames = Array.from({ length: 20 }, (_, i) => [`[2,"bad${i}","Heartbeat",[]]`, `[2,"ok${i}","Heartbeat",{}]`]).flat();
    for (const frame of frames) {
      if (t.closed.length > 0) break;
      await t.relay.fromChargePoint(frame);
    }
    // The burst (2) covers bad0 and ok0; then four refusals, and the fifth in a row closes.
    expect(t.sent.map((f) => (f as unknown[]).slice(1, 3))).toEqual([
      ["bad0", "FormationViolation"],
      ["bad1", "GenericError"],
      ["ok1", "GenericError"],
      ["bad2", "GenericError"],
      ["ok2", "GenericError"],
    ]);
    expect(t.closed).toEqual([{ code: 1008, reason: "rate_limited", text: "rate limit exceeded: at most 1 frames per second" }]);
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toEqual(["ok0"]);
  });

  it("rate limit 0 turns it off", async () => {
    const t = setup({ config: config({ max_frames_per_second: 0 }) });
    for (let i = 0; i < 100; i++) await t.relay.fromChargePoint(`[2,"h${i}","Heartbeat",{}]`);
    expect(t.on("ocpp/cp/CP1")).toHaveLength(100);
  });

  it("with the broker down and the outbox full, the charge point's answer to a CSMS call is still kept and arrives later", async () => {
    const link = new FakeLink();
    const cfg = config({ upstream: { outbox_max_len: 3 } });
    const outbox = new Outbox(new MemoryOutboxStore(), link, { maxLength: 3, endingsReserve: cfg.dnstream.max_mqueue_len + 1 }, () => 0);
    const t = setup({ config: cfg, outbox });
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs-1","Action":"GetConfiguration","Payload":{}}');
    link.up = false;
    for (let i = 0; i < 4; i++) await t.relay.fromChargePoint(`[2,"h${i}","Heartbeat",{}]`);
    expect(t.sent.at(-1)).toEqual([4, "h3", "InternalError", "upstream unavailable", {}]);
    await t.relay.fromChargePoint('[3,"cs-1",{"configurationKey":[]}]');
    expect(t.state.dropped).toBe(1);
    link.up = true;
    await outbox.flush();
    const reply = link.published.map((p) => p.split(" ")).find(([topic]) => topic === "ocpp/cp/CP1/Reply");
    expect(JSON.parse(reply?.[1] ?? "null")).toEqual({ MessageTypeId: 3, UniqueId: "cs-1", Action: "GetConfiguration", Payload: { configurationKey: [] } });
  });

  it("a reply the gateway can neither publish nor keep is counted as dropped", async () => {
    const t = setup({ publishFails: true });
    await t.relay.fromChargePoint('[3,"r",{}]');
    expect(t.state.dropped).toBe(1);
  });
});

describe("heartbeat check and the charge point's own calls", () => {
  const policy = { idleTimeoutMs: 30_000, backoff: 1 };

  it("a charge point waiting for the answer to its call is not silent; silence counts from the answer (defaults: 60 s, backoff 1)", async () => {
    const t = setup();
    const t0 = t.clock.now;
    const check = (at: number) => checkKeepalive({ ...t.state, connectedAt: t0 }, policy, at);
    t.clock.now = t0 + 5_000;
    await t.relay.fromChargePoint('[2,"m1","MeterValues",{"connectorId":1,"meterValue":[]}]');
    // The broker or the CSMS is away: no answer for 5 minutes. OCPP-J lets the charger send no other call meanwhile.
    expect(check(t0 + 5 * 60_000).close).toBeUndefined();
    t.clock.now = t0 + 6 * 60_000 + 10_000;
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"m1","Payload":{}}');
    // Answered at +370 s: ticks every 60 s from t0, so the tick at +420 s still saw the answer, the one at +480 s did not.
    expect(check(t0 + 420_000)).toEqual({ nextCheck: t0 + 480_000 });
    expect(check(t0 + 480_000)).toEqual({ close: "keepalive_timeout" });
  });

  it("a charge point that died with its call unanswered is still closed: the wait counts for at most 10 minutes", async () => {
    const t = setup();
    const t0 = t.clock.now;
    const check = (at: number) => checkKeepalive({ ...t.state, connectedAt: t0 }, policy, at);
    t.clock.now = t0 + 5_000;
    await t.relay.fromChargePoint('[2,"m1","MeterValues",{"connectorId":1,"meterValue":[]}]');
    // Waiting counts as life until +605 s; closed at the first tick a whole tick later.
    expect(check(t0 + 660_000).close).toBeUndefined();
    expect(check(t0 + 720_000)).toEqual({ close: "keepalive_timeout" });
  });

  it("only the charge point's latest call counts: an older one the CSMS never answered does not keep it alive", async () => {
    const t = setup();
    const t0 = t.clock.now;
    const check = (at: number) => checkKeepalive({ ...t.state, connectedAt: t0 }, policy, at);
    t.clock.now = t0 + 5_000;
    await t.relay.fromChargePoint('[2,"lost","DataTransfer",{"vendorId":"v"}]');
    // The charger gave up on it and went on; its next call is answered.
    t.clock.now = t0 + 65_000;
    await t.relay.fromChargePoint('[2,"h1","Heartbeat",{}]');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"h1","Payload":{"currentTime":"2024-01-01T00:00:00Z"}}');
    expect(check(t0 + 180_000)).toEqual({ close: "keepalive_timeout" });
  });
});

describe("OCPP 2.1 CALLRESULTERROR and SEND", () => {
  const v21 = () => setup({ protocol: OCPP21 });
  const now = "2024-01-01T00:00:00Z";

  it("a CALLRESULTERROR naming the CSMS's outstanding call is not published; the charge point's real answer still is", async () => {
    const t = v21();
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"g-1","Action":"Reset","Payload":{"type":"Immediate"}}');
    await t.relay.fromChargePoint('[5,"g-1","GenericError","not now",{}]');
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([]);
    expect(t.on("ocpp/diagnostics/CP1")).toEqual([
      expect.objectContaining({
        event: "frame_refused",
        clientid: "CP1",
        direction: "upstream",
        relayed: false,
        MessageTypeId: 5,
        UniqueId: "g-1",
        ErrorCode: "ProtocolError",
        frame: [5, "g-1", "GenericError", "not now", {}],
      }),
    ]);
    expect(t.state).toMatchObject({ malformed: 1, badFrames: 1 });
    expect(t.sent).toEqual([[2, "g-1", "Reset", { type: "Immediate" }]]);
    await t.relay.fromChargePoint('[3,"g-1",{"status":"Accepted"}]');
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([{ MessageTypeId: 3, UniqueId: "g-1", Action: "Reset", Payload: { status: "Accepted" } }]);
  });

  it("a CALLRESULTERROR is published once per CSMS CALLRESULT to one of the charge point's calls, and only for a CALLRESULT", async () => {
    const t = v21();
    await t.relay.fromChargePoint('[2,"h-1","Heartbeat",{}]');
    await t.relay.fromCsms(`{"MessageTypeId":3,"UniqueId":"h-1","Payload":{"currentTime":"${now}"}}`);
    await t.relay.fromChargePoint('[5,"h-1","FormatViolation","currentTime is in the future",{}]');
    await t.relay.fromChargePoint('[5,"h-1","FormatViolation","again",{}]');
    await t.relay.fromChargePoint('[2,"h-2","Heartbeat",{}]');
    await t.relay.fromCsms('{"MessageTypeId":4,"UniqueId":"h-2","ErrorCode":"InternalError","ErrorDescription":"busy"}');
    await t.relay.fromChargePoint('[5,"h-2","FormatViolation","about a CALLERROR",{}]');
    await t.relay.fromChargePoint('[5,"nobody","FormatViolation","about nothing",{}]');
    expect(t.on("ocpp/cp/CP1/Reply").filter((m) => m.MessageTypeId === 5)).toEqual([
      { MessageTypeId: 5, UniqueId: "h-1", Action: "Heartbeat", ErrorCode: "FormatViolation", ErrorDescription: "currentTime is in the future", ErrorDetails: {} },
    ]);
    expect(t.on("ocpp/diagnostics/CP1").map((m) => [m.event, m.MessageTypeId, m.UniqueId])).toEqual([
      ["frame_refused", 5, "h-1"],
      ["frame_refused", 5, "h-2"],
      ["frame_refused", 5, "nobody"],
    ]);
    expect(t.state.malformed).toBe(3);
  });

  it("SEND carries only 2.1's SEND messages: [6,\"s1\",\"Heartbeat\",{}] is not published, and is reported", async () => {
    const t = v21();
    await t.relay.fromChargePoint('[6,"s1","Heartbeat",{}]');
    await t.relay.fromChargePoint('[6,"s2","NoSuchAction",{}]');
    const stream = `{"id":3,"pending":0,"basetime":"${now}","data":[{"t":0,"v":"230.1"}]}`;
    await t.relay.fromChargePoint(`[6,"s3","NotifyPeriodicEventStream",${stream}]`);
    expect(t.on("ocpp/cp/CP1")).toEqual([{ MessageTypeId: 6, UniqueId: "s3", Action: "NotifyPeriodicEventStream", Payload: JSON.parse(stream) }]);
    expect(t.on("ocpp/diagnostics/CP1")).toEqual([
      expect.objectContaining({ event: "frame_refused", MessageTypeId: 6, UniqueId: "s1", Action: "Heartbeat", ErrorCode: "ProtocolError", relayed: false }),
      expect.objectContaining({ event: "frame_refused", MessageTypeId: 6, UniqueId: "s2", Action: "NoSuchAction", relayed: false }),
    ]);
    // Never answered on the wire (a SEND has no answer), counted with the malformed frames.
    expect(t.sent).toEqual([]);
    expect(t.state).toMatchObject({ malformed: 2, badFrames: 0 });
  });

  it("the CSMS may SEND only 2.1's SEND messages too: a SEND of a call's Action is reported and never sent", async () => {
    const t = v21();
    await t.relay.fromCsms('{"MessageTypeId":6,"UniqueId":"s-9","Action":"Reset","Payload":{"type":"Immediate"}}');
    expect(t.sent).toEqual([]);
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([
      expect.objectContaining({ MessageTypeId: 4, UniqueId: "s-9", Action: "Reset", ErrorCode: "ProtocolError", Origin: "gateway", Reason: "malformed" }),
    ]);
  });
});
