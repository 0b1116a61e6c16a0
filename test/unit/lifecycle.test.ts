import { describe, expect, it } from "vitest";
import { checkKeepalive, connectedEvent, disconnectedEvent, heartbeatFromBootReply, MAX_HEARTBEAT_INTERVAL_S, reasonForRemoteClose, type KeepaliveState } from "../../src/session/lifecycle";

const T0 = 1_000_000;
const state = (over: Partial<KeepaliveState> = {}): KeepaliveState => ({
  connectedAt: T0,
  recv: 1,
  lastSeen: T0,
  awaitingSince: 0,
  answeredAt: 0,
  heartbeatInterval: 60,
  heartbeatSince: T0,
  ...over,
});
const policy = { idleTimeoutMs: 30_000, backoff: 1 };

describe("heartbeat check (EMQX's tick algorithm, closed form)", () => {
  it("with backoff 1, a connection silent for a whole tick is closed at the next tick", () => {
    // Ticks at T0+60 s, T0+120 s, …; last frame at T0+10 s: the tick at +60 s saw it, the tick at +120 s did not.
    const s = state({ lastSeen: T0 + 10_000 });
    expect(checkKeepalive(s, policy, T0 + 119_999)).toEqual({ nextCheck: T0 + 120_000 });
    expect(checkKeepalive(s, policy, T0 + 120_000)).toEqual({ close: "keepalive_timeout" });
  });

  it("any frame keeps it alive: a heartbeat a little later than the interval is fine", () => {
    const s = state({ lastSeen: T0 + 61_000 });
    expect(checkKeepalive(s, policy, T0 + 120_000)).toEqual({ nextCheck: T0 + 180_000 });
  });

  it("backoff N allows N silent ticks", () => {
    const s = state({ lastSeen: T0 + 10_000 });
    expect(checkKeepalive(s, { ...policy, backoff: 3 }, T0 + 239_000)).toEqual({ nextCheck: T0 + 240_000 });
    expect(checkKeepalive(s, { ...policy, backoff: 3 }, T0 + 240_000)).toEqual({ close: "keepalive_timeout" });
    expect(checkKeepalive(s, { ...policy, backoff: 0 }, T0 + 120_000)).toEqual({ close: "keepalive_timeout" });
  });

  it("ticks restart when the interval is changed", () => {
    const s = state({ lastSeen: T0 + 70_000, heartbeatInterval: 300, heartbeatSince: T0 + 65_000 });
    expect(checkKeepalive(s, policy, T0 + 400_000)).toEqual({ nextCheck: T0 + 65_000 + 600_000 });
  });

  it("interval 0 turns the check off", () => {
    expect(checkKeepalive(state({ heartbeatInterval: 0 }), policy, T0 + 10_000_000)).toEqual({});
  });
});

describe("a charge point waiting for the answer to its own call (OCPP-J: it may send no other call meanwhile)", () => {
  it("is not silent while it waits, for at most 10 minutes after its call arrived", () => {
    const s = state({ lastSeen: T0 + 10_000, awaitingSince: T0 + 10_000 });
    expect(checkKeepalive(s, policy, T0 + 600_000)).toEqual({ nextCheck: T0 + 720_000 });
    expect(checkKeepalive(s, policy, T0 + 719_999)).toEqual({ nextCheck: T0 + 720_000 });
    expect(checkKeepalive(s, policy, T0 + 720_000)).toEqual({ close: "keepalive_timeout" });
  });

  it("once answered, silence counts from the answer", () => {
    const s = state({ lastSeen: T0 + 10_000, answeredAt: T0 + 130_000 });
    expect(checkKeepalive(s, policy, T0 + 180_000)).toEqual({ nextCheck: T0 + 240_000 });
    expect(checkKeepalive(s, policy, T0 + 240_000)).toEqual({ close: "keepalive_timeout" });
  });
});

describe("heartbeat interval from the BootNotification answer", () => {
  it("takes a positive integer interval of an Accepted answer, at most 7 days", () => {
    expect(heartbeatFromBootReply({ status: "Accepted", interval: 300 })).toBe(300);
    expect(heartbeatFromBootReply({ status: "Accepted", interval: Number.MAX_SAFE_INTEGER })).toBe(MAX_HEARTBEAT_INTERVAL_S);
    expect(MAX_HEARTBEAT_INTERVAL_S).toBe(604_800);
    expect(heartbeatFromBootReply({ status: "Pending", interval: 300 })).toBeUndefined();
    expect(heartbeatFromBootReply({ status: "Accepted", interval: 0.5 })).toBeUndefined();
  });
});

describe("idle timeout", () => {
  it("closes a connection that sent no frame within idle_timeout", () => {
    const s = state({ recv: 0 });
    expect(checkKeepalive(s, policy, T0 + 29_999)).toEqual({ nextCheck: T0 + 30_000 });
    expect(checkKeepalive(s, policy, T0 + 30_000)).toEqual({ close: "idle_timeout" });
  });

  it("a first frame that arrived but was not handled yet counts (the check judges arrival)", () => {
    expect(checkKeepalive(state({ recv: 0, lastSeen: T0 + 29_000 }), policy, T0 + 30_000)).toEqual({ nextCheck: T0 + 120_000 });
  });

  it("does not apply after the first frame", () => {
    expect(checkKeepalive(state({ recv: 1, lastSeen: T0 + 1_000 }), policy, T0 + 30_000)).toEqual({ nextCheck: T0 + 120_000 });
  });
});

describe("close reasons and events", () => {
  it.each([
    [1000, "normal"],
    [1001, "normal"],
    [1005, "normal"],
    [1006, "sock_closed"],
    [4000, "close_4000"],
  ])("a remote close with %d is %s", (code, reason) => {
    expect(reasonForRemoteClose(code)).toBe(reason);
  });

  it("events carry EMQX's fields, timestamps in ms", () => {
    const info = { clientid: "CP1", username: "u", protoVer: "1.6", ipaddress: "192.0.2.1", connectedAt: T0, keepalive: 60 };
    expect(JSON.parse(connectedEvent(info))).toEqual({
      event: "client.connected",
      clientid: "CP1",
      username: "u",
      proto_name: "OCPP",
      proto_ver: "1.6",
      ipaddress: "192.0.2.1",
      keepalive: 60,
      connected_at: T0,
      client_certificate: null,
    });
    // With the client certificate it authenticated with (security profile 3).
    const certificate = { subject: "CN=CP1", issuer: "CN=CA", serial: "01", fingerprint_sha256: "ab" };
    expect(JSON.parse(connectedEvent(info, certificate))).toMatchObject({ clientid: "CP1", client_certificate: certificate });
    expect(JSON.parse(disconnectedEvent({ ...info, username: undefined }, "kicked", T0 + 5))).toEqual({
      event: "client.disconnected",
      clientid: "CP1",
      username: null,
      proto_name: "OCPP",
      proto_ver: "1.6",
      ipaddress: "192.0.2.1",
      reason: "kicked",
      connected_at: T0,
      disconnected_at: T0 + 5,
    });
  });
});
