import { Buffer } from "node:buffer";
import mqttPacket from "mqtt-packet";
import type { Packet } from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { MqttSession, type IncomingFlags, type MqttSessionOptions, type SessionEnd, type Timers } from "../../src/mqtt/session";

class ManualTimers implements Timers {
  private time = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  /** Timers set so far. */
  get created(): number {
    return this.seq;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = [...this.due.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (next === undefined) break;
      this.due.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = until;
  }
}

/** The broker's side of the wire: decodes what the session sends, and answers with generated packets. */
function harness(options: Partial<MqttSessionOptions> = {}) {
  const timers = new ManualTimers();
  const sent: Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", (p: Packet) => sent.push(p));
  const events = { ready: [] as boolean[], ends: [] as SessionEnd[], messages: [] as { topic: string; text: string; flags?: IncomingFlags }[] };
  let onMessage: (topic: string, text: string) => Promise<void> = async () => undefined;
  const wire = { broken: false };
  const session = new MqttSession(
    {
      send: (packet) => {
        if (wire.broken) throw new TypeError("WebSocket is closed");
        parser.parse(Buffer.concat(packet));
      },
    },
    {
      clientId: "gw-0",
      keepaliveSeconds: 30,
      cleanSession: false,
      subscriptions: ["ocpp/cs/+"],
      ackTimeoutMs: 1000,
      ...options,
    },
    {
      onReady: (present) => events.ready.push(present),
      onEnd: (end) => events.ends.push(end),
      onMessage: (topic, payload, flags) => {
        const text = Buffer.from(payload).toString();
        events.messages.push({ topic, text, flags });
        return onMessage(topic, text);
      },
    },
    timers,
  );
  const reply = (packet: Packet) => session.receive(mqttPacket.generate(packet));
  const handshake = () => {
    session.start();
    reply({ cmd: "connack", returnCode: 0, sessionPresent: true });
    const sub = sent.find((p) => p.cmd === "subscribe");
    reply({ cmd: "suback", messageId: sub?.messageId as number, granted: [1] });
  };
  return { session, sent, events, timers, reply, handshake, wire, setOnMessage: (f: typeof onMessage) => (onMessage = f) };
}

describe("MqttSession", () => {
  it("connects with a persistent session and subscribes with QoS 1 before it is ready", () => {
    const h = harness({ username: "u", password: "p" });
    h.session.start();
    expect(h.sent[0]).toMatchObject({ cmd: "connect", clientId: "gw-0", clean: false, keepalive: 30, username: "u" });
    expect(String((h.sent[0] as { password: Buffer }).password)).toBe("p");
    expect(h.session.isReady).toBe(false);
    h.reply({ cmd: "connack", returnCode: 0, sessionPresent: false });
    expect(h.sent[1]).toMatchObject({ cmd: "subscribe", subscriptions: [{ topic: "ocpp/cs/+", qos: 1 }] });
    expect(h.session.isReady).toBe(false);
    h.reply({ cmd: "suback", messageId: h.sent[1]?.messageId as number, granted: [1] });
    expect(h.session.isReady).toBe(true);
    expect(h.events.ready).toEqual([false]);
  });

  it("reports a refused connection with the CONNACK return code", () => {
    const h = harness();
    h.session.start();
    h.reply({ cmd: "connack", returnCode: 5, sessionPresent: false });
    expect(h.events.ends).toEqual([{ kind: "refused", returnCode: 5, message: "broker refused the connection: not authorized" }]);
  });

  it("a refused subscription ends the session", () => {
    const h = harness();
    h.session.start();
    h.reply({ cmd: "connack", returnCode: 0, sessionPresent: false });
    h.reply({ cmd: "suback", messageId: h.sent[1]?.messageId as number, granted: [128] });
    expect(h.events.ends[0]?.kind).toBe("refused");
  });

  it("times out without CONNACK", () => {
    const h = harness();
    h.session.start();
    h.timers.advance(1001);
    expect(h.events.ends[0]?.kind).toBe("timeout");
  });

  it("publishes with QoS 1 and resolves only on the matching PUBACK", async () => {
    const h = harness();
    h.handshake();
    let done = false;
    const p = h.session.publish("ocpp/cp/CP1", '{"a":1}').then(() => (done = true));
    const pub = h.sent.find((x) => x.cmd === "publish");
    expect(pub).toMatchObject({ topic: "ocpp/cp/CP1", qos: 1, retain: false });
    expect(String((pub as { payload: Buffer }).payload)).toBe('{"a":1}');
    h.reply({ cmd: "puback", messageId: (pub?.messageId as number) + 1 });
    await Promise.resolve();
    expect(done).toBe(false);
    h.reply({ cmd: "puback", messageId: pub?.messageId as number });
    await p;
    expect(done).toBe(true);
  });

  it("rejects a publish whose PUBACK does not come, and ends the session", async () => {
    const h = harness();
    h.handshake();
    const p = h.session.publish("t", "x");
    h.timers.advance(1001);
    await expect(p).rejects.toThrow(/no PUBACK/);
    expect(h.events.ends[0]?.kind).toBe("timeout");
  });

  it("one timer watches every publish's PUBACK: a publish made while others wait still times out at its own deadline", async () => {
    const h = harness();
    h.handshake();
    const before = h.timers.created;
    // 200 publishes acknowledged in turn: no timer per publish.
    for (let i = 0; i < 200; i++) {
      const p = h.session.publish("t", `m${i}`);
      h.reply({ cmd: "puback", messageId: h.sent.filter((x) => x.cmd === "publish").at(-1)?.messageId as number });
      await p;
      h.timers.advance(1);
    }
    expect(h.timers.created - before).toBeLessThanOrEqual(1);
    // 600 ms later a publish goes unanswered while the watch is armed for an older deadline: it fails at its own.
    h.timers.advance(600);
    let failed = false;
    const late = h.session.publish("t", "late").catch(() => (failed = true));
    h.timers.advance(999);
    await Promise.resolve();
    expect(failed).toBe(false);
    expect(h.events.ends).toEqual([]);
    h.timers.advance(1);
    await late;
    expect(failed).toBe(true);
    expect(h.events.ends[0]).toMatchObject({ kind: "timeout", message: "PUBACK missing" });
  });

  it("rejects in-flight publishes when the connection ends", async () => {
    const h = harness();
    h.handshake();
    const p = h.session.publish("t", "x");
    h.session.end({ kind: "closed", message: "socket closed" });
    await expect(p).rejects.toThrow(/socket closed/);
    await expect(h.session.publish("t", "y")).rejects.toThrow(/not ready/);
  });

  it("acknowledges incoming QoS 1 messages in arrival order, after they were handled", async () => {
    const h = harness();
    h.handshake();
    const gates: Record<string, () => void> = {};
    h.setOnMessage((topic) => new Promise<void>((r) => (gates[topic] = r)));
    h.reply({ cmd: "publish", topic: "ocpp/cs/A", payload: Buffer.from("1"), qos: 1, messageId: 11, retain: false, dup: false });
    h.reply({ cmd: "publish", topic: "ocpp/cs/B", payload: Buffer.from("2"), qos: 1, messageId: 12, retain: false, dup: false });
    expect(h.events.messages.map((m) => m.text)).toEqual(["1", "2"]);
    gates["ocpp/cs/B"]?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.sent.filter((p) => p.cmd === "puback")).toEqual([]);
    gates["ocpp/cs/A"]?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.sent.filter((p) => p.cmd === "puback").map((p) => p.messageId)).toEqual([11, 12]);
  });

  it("pings when idle and ends the session when PINGRESP does not come", () => {
    const h = harness();
    h.handshake();
    h.timers.advance(15_000);
    expect(h.sent.filter((p) => p.cmd === "pingreq")).toHaveLength(1);
    h.reply({ cmd: "pingresp" });
    h.timers.advance(15_000);
    expect(h.sent.filter((p) => p.cmd === "pingreq")).toHaveLength(2);
    expect(h.events.ends).toEqual([]);
    h.timers.advance(15_000);
    expect(h.events.ends[0]).toMatchObject({ kind: "timeout", message: "no PINGRESP from the broker" });
  });

  it("ends on a malformed packet from the broker", () => {
    const h = harness();
    h.session.start();
    h.session.receive(new Uint8Array([0xf0, 0x00]));
    expect(h.events.ends[0]?.kind).toBe("protocol");
  });

  it("hands the RETAIN and DUP flags of an incoming message to its receiver", () => {
    const h = harness();
    h.handshake();
    h.reply({ cmd: "publish", topic: "ocpp/cs/A", payload: Buffer.from("live"), qos: 1, messageId: 1, retain: false, dup: false });
    h.reply({ cmd: "publish", topic: "ocpp/cs/A", payload: Buffer.from("stored"), qos: 1, messageId: 2, retain: true, dup: true });
    expect(h.events.messages.map((m) => [m.text, m.flags])).toEqual([
      ["live", { retain: false, dup: false }],
      ["stored", { retain: true, dup: true }],
    ]);
  });

  it("a receiver that throws does not throw out of receive(), and the message is still acknowledged", async () => {
    const h = harness();
    h.handshake();
    h.setOnMessage(() => {
      throw new Error("receiver failed");
    });
    expect(() =>
      h.reply({ cmd: "publish", topic: "ocpp/cs/A", payload: Buffer.from("x"), qos: 1, messageId: 21, retain: false, dup: false }),
    ).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.sent.filter((p) => p.cmd === "puback").map((p) => p.messageId)).toEqual([21]);
    expect(h.events.ends).toEqual([]);
  });

  it("unsubscribes with UNSUBSCRIBE and resolves on the matching UNSUBACK", async () => {
    const h = harness();
    h.handshake();
    let done = false;
    const p = h.session.unsubscribe(["ocpp/old/+", "ocpp/cs/+/#"]).then(() => (done = true));
    const unsub = h.sent.find((x) => x.cmd === "unsubscribe");
    expect(unsub).toMatchObject({ cmd: "unsubscribe", unsubscriptions: ["ocpp/old/+", "ocpp/cs/+/#"] });
    h.reply({ cmd: "suback", messageId: unsub?.messageId as number, granted: [1] });
    await Promise.resolve();
    expect(done).toBe(false);
    h.reply({ cmd: "unsuback", messageId: unsub?.messageId as number, granted: [] });
    await p;
    expect(done).toBe(true);
  });

  it("an UNSUBSCRIBE without UNSUBACK is rejected after the ack timeout; one on an ended session at once", async () => {
    const h = harness();
    h.handshake();
    const p = h.session.unsubscribe(["a/+"]);
    h.timers.advance(1001);
    await expect(p).rejects.toThrow(/no UNSUBACK/);
    h.session.end({ kind: "closed", message: "gone" });
    await expect(h.session.unsubscribe(["a/+"])).rejects.toThrow(/not ready/);
  });

  it("a transport that can no longer send ends the session instead of throwing out of a timer", () => {
    const h = harness();
    h.handshake();
    h.wire.broken = true;
    expect(() => h.timers.advance(15_000)).not.toThrow();
    expect(h.events.ends).toEqual([{ kind: "closed", message: "cannot send: WebSocket is closed" }]);
  });

  it("a publish on a transport that can no longer send is rejected, not thrown", async () => {
    const h = harness();
    h.handshake();
    h.wire.broken = true;
    await expect(h.session.publish("t", "x")).rejects.toThrow(/cannot send: WebSocket is closed/);
    expect(h.events.ends).toHaveLength(1);
  });

  it("a resumed session whose SUBACK does not follow CONNACK in time ends as stalled; a fresh one as a timeout", () => {
    for (const [sessionPresent, kind] of [
      [true, "stalled"],
      [false, "timeout"],
    ] as const) {
      const h = harness();
      h.session.start();
      h.reply({ cmd: "connack", returnCode: 0, sessionPresent });
      h.timers.advance(1001);
      expect(h.events.ends).toEqual([expect.objectContaining({ kind })]);
    }
  });
});
