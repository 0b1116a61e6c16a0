// Schema checks in the relay: the four modes for calls AND replies, the enforce/report policy, per-Action
// overrides, and the diagnostics record.
import { describe, expect, it } from "vitest";
import { config, fakeRelay } from "./support/fake-relay";

const BAD_BOOT = '[2,"b1","BootNotification",{"chargePointVendor":"VendorNameThatIsTooLong","chargePointModel":"m"}]';
const BAD_RESET_ENVELOPE = '{"MessageTypeId":2,"UniqueId":"r1","Action":"Reset","Payload":{"type":"Medium"}}';

/** A CSMS Reset the charge point answers with an invalid status. */
async function badUpstreamReply(t: ReturnType<typeof fakeRelay>): Promise<void> {
  await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"r9","Action":"Reset","Payload":{"type":"Soft"}}');
  await t.relay.fromChargePoint('[3,"r9",{"status":"Maybe"}]');
}

/** The charge point's Heartbeat, answered by the CSMS with an invalid payload. */
async function badDownstreamReply(t: ReturnType<typeof fakeRelay>): Promise<void> {
  await t.relay.fromChargePoint('[2,"h9","Heartbeat",{}]');
  await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"h9","Payload":{"currentTime":"not a time"}}');
}

describe("enforced checks (default: message_format_checking all, policy enforce)", () => {
  it("an invalid upstream CALL gets a CALLERROR with the field, the rule and the paths; nothing on the call topic", async () => {
    const t = fakeRelay();
    await t.relay.fromChargePoint(BAD_BOOT);
    expect(t.sent).toEqual([
      [
        4,
        "b1",
        "PropertyConstraintViolation",
        "BootNotification: chargePointVendor must be at most 20 characters long",
        { errors: [{ path: "/chargePointVendor", keyword: "maxLength", message: "must NOT have more than 20 characters" }] },
      ],
    ]);
    expect(t.on("ocpp/cp/CP1")).toEqual([]);
    expect(t.state.invalid).toBe(1);
  });

  it("publishes every failure on the diagnostics topic with the full frame and the errors", async () => {
    const t = fakeRelay();
    await t.relay.fromChargePoint(BAD_BOOT);
    expect(t.on("ocpp/diagnostics/CP1")).toEqual([
      {
        event: "validation_failed",
        clientid: "CP1",
        direction: "upstream",
        policy: "enforce",
        relayed: false,
        MessageTypeId: 2,
        UniqueId: "b1",
        Action: "BootNotification",
        ErrorCode: "PropertyConstraintViolation",
        ErrorDescription: "BootNotification: chargePointVendor must be at most 20 characters long",
        errors: [{ path: "/chargePointVendor", keyword: "maxLength", message: "must NOT have more than 20 characters" }],
        at: 1_700_000_000_000,
        frame: JSON.parse(BAD_BOOT),
      },
    ]);
  });

  it("an unknown upstream Action is NotImplemented", async () => {
    const t = fakeRelay();
    await t.relay.fromChargePoint('[2,"u1","MakeCoffee",{"size":"large"}]');
    expect(t.sent).toEqual([[4, "u1", "NotImplemented", "Action MakeCoffee is not implemented", { errors: [] }]]);
    expect(t.on("ocpp/cp/CP1")).toEqual([]);
  });

  it("an invalid CALLRESULT from the charge point is not forwarded as a result; the CSMS gets a gateway CALLERROR", async () => {
    const t = fakeRelay();
    await badUpstreamReply(t);
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([
      {
        MessageTypeId: 4,
        UniqueId: "r9",
        Action: "Reset",
        ErrorCode: "PropertyConstraintViolation",
        ErrorDescription: 'the charge point\'s answer is invalid: Reset response: status must be one of "Accepted", "Rejected"',
        ErrorDetails: { errors: [{ path: "/status", keyword: "enum", message: "must be equal to one of the allowed values" }] },
        Origin: "gateway",
        Reason: "invalid",
      },
    ]);
    expect([t.store.inflight, t.store.queue.length]).toEqual([undefined, 0]);
  });

  it("an invalid downstream CALL is never sent; the CSMS gets a CALLERROR envelope", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(BAD_RESET_ENVELOPE);
    expect(t.sent).toEqual([]);
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([
      expect.objectContaining({
        MessageTypeId: 4,
        UniqueId: "r1",
        Action: "Reset",
        ErrorCode: "PropertyConstraintViolation",
        ErrorDescription: 'not sent to the charge point: Reset: type must be one of "Hard", "Soft"',
        Origin: "gateway",
      }),
    ]);
    expect(t.on("ocpp/diagnostics/CP1")[0]).toMatchObject({ direction: "dnstream", UniqueId: "r1", frame: JSON.parse(BAD_RESET_ENVELOPE) });
  });

  it("a downstream CALL with an unknown Action is never sent (NotImplemented)", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"x1","Action":"SelfDestruct","Payload":{}}');
    expect(t.sent).toEqual([]);
    expect(t.on("ocpp/cp/CP1/Reply")[0]).toMatchObject({ UniqueId: "x1", ErrorCode: "NotImplemented", Origin: "gateway" });
  });

  it("an invalid CSMS reply to the charge point's call is never sent; a corrected one still goes through", async () => {
    const t = fakeRelay();
    await badDownstreamReply(t);
    expect(t.sent).toEqual([]);
    expect(t.on("ocpp/cp/CP1/Reply")[0]).toMatchObject({ UniqueId: "h9", Action: "Heartbeat", ErrorCode: "PropertyConstraintViolation" });
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"h9","Payload":{"currentTime":"2023-12-01T14:20:39Z"}}');
    expect(t.sent).toEqual([[3, "h9", { currentTime: "2023-12-01T14:20:39Z" }]]);
  });

  it("valid messages pass in both directions", async () => {
    const t = fakeRelay();
    await t.relay.fromChargePoint('[2,"s1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging"}]');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"s1","Payload":{}}');
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"r2","Action":"Reset","Payload":{"type":"Hard"}}');
    await t.relay.fromChargePoint('[3,"r2",{"status":"Accepted"}]');
    expect(t.sent).toEqual([[3, "s1", {}], [2, "r2", "Reset", { type: "Hard" }]]);
    expect(t.topics()).toEqual(["ocpp/cp/CP1", "ocpp/cp/CP1/Reply"]);
    expect(t.state.invalid).toBe(0);
  });
});

describe("modes do what their names say, for calls and replies", () => {
  async function run(mode: string) {
    const t = fakeRelay({ config: config({ message_format_checking: mode }) });
    await t.relay.fromChargePoint(BAD_BOOT);
    await badUpstreamReply(t);
    await t.relay.fromCsms(BAD_RESET_ENVELOPE);
    await badDownstreamReply(t);
    return {
      upstreamCallRelayed: t.on("ocpp/cp/CP1").some((m) => m.UniqueId === "b1"),
      upstreamReplyRelayed: t.on("ocpp/cp/CP1/Reply").some((m) => m.UniqueId === "r9" && m.MessageTypeId === 3),
      downstreamCallSent: t.sent.some((f) => (f as unknown[])[1] === "r1"),
      downstreamReplySent: t.sent.some((f) => (f as unknown[])[1] === "h9"),
      invalid: t.state.invalid,
    };
  }

  it.each([
    ["all", { upstreamCallRelayed: false, upstreamReplyRelayed: false, downstreamCallSent: false, downstreamReplySent: false, invalid: 4 }],
    ["upstream_only", { upstreamCallRelayed: false, upstreamReplyRelayed: false, downstreamCallSent: true, downstreamReplySent: true, invalid: 2 }],
    ["dnstream_only", { upstreamCallRelayed: true, upstreamReplyRelayed: true, downstreamCallSent: false, downstreamReplySent: false, invalid: 2 }],
    ["disable", { upstreamCallRelayed: true, upstreamReplyRelayed: true, downstreamCallSent: true, downstreamReplySent: true, invalid: 0 }],
  ])("%s", async (mode, expected) => {
    expect(await run(mode)).toEqual(expected);
  });
});

describe("policy and per-Action overrides", () => {
  it("report: relays the invalid message and still publishes the diagnostics", async () => {
    const t = fakeRelay({ config: config({ message_format_policy: "report" }) });
    await t.relay.fromChargePoint(BAD_BOOT);
    await t.relay.fromCsms(BAD_RESET_ENVELOPE);
    expect(t.sent).toEqual([[2, "r1", "Reset", { type: "Medium" }]]);
    expect(t.on("ocpp/cp/CP1")).toEqual([expect.objectContaining({ UniqueId: "b1", Action: "BootNotification" })]);
    expect(t.on("ocpp/diagnostics/CP1").map((d) => [d.UniqueId, d.policy, d.relayed])).toEqual([
      ["b1", "report", true],
      ["r1", "report", true],
    ]);
  });

  it("an override disables the check for one Action only, in both directions", async () => {
    const t = fakeRelay({ config: config({ message_format_overrides: { BootNotification: "disable", Reset: "disable" } }) });
    await t.relay.fromChargePoint(BAD_BOOT);
    await t.relay.fromCsms(BAD_RESET_ENVELOPE);
    await t.relay.fromChargePoint('[3,"r1",{"status":"Accepted"}]');
    await badUpstreamReply(t);
    await t.relay.fromChargePoint('[2,"s2","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]');
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toEqual(["b1"]);
    expect(t.sent).toContainEqual([2, "r1", "Reset", { type: "Medium" }]);
    expect(t.on("ocpp/cp/CP1/Reply")).toContainEqual({ MessageTypeId: 3, UniqueId: "r9", Action: "Reset", Payload: { status: "Maybe" } });
    expect(t.sent).toContainEqual([4, "s2", "TypeConstraintViolation", "StatusNotification: connectorId must be of type integer", expect.anything()]);
  });

  it("an override can report one Action while the rest is enforced", async () => {
    const t = fakeRelay({ config: config({ message_format_overrides: { DataTransfer: "report" } }) });
    await t.relay.fromChargePoint('[2,"d1","DataTransfer",{"vendorId":"acme","data":"x","extra":1}]');
    await t.relay.fromChargePoint('[2,"d2","Authorize",{"idTag":"x","extra":1}]');
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toEqual(["d1"]);
    expect(t.sent).toEqual([[4, "d2", "FormationViolation", "Authorize: extra is not a property of this message", expect.anything()]]);
  });
});
