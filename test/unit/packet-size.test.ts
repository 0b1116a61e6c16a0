// Packet boundaries in the MQTT byte stream over TCP (src/mqtt/packet-size.ts): the Remaining Length read across
// chunk boundaries (MQTT 3.1.1 §2.2.3), and a packet over the limit told from its header alone.
import { Buffer } from "node:buffer";
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { PacketSizeGuard } from "../../src/mqtt/packet-size";

/** A PUBLISH of `bytes` payload bytes, encoded by the codec the link uses (an independent encoder of the header). */
function publish(bytes: number, topic = "t"): Uint8Array {
  return new Uint8Array(mqttPacket.generate({ cmd: "publish", topic, payload: Buffer.alloc(bytes, 0x61), qos: 0, dup: false, retain: false }));
}

/** Fixed header byte, then `length` as Remaining Length (1 to 4 bytes), and no body. */
function header(length: number): number[] {
  const out = [0x30];
  let x = length;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    out.push(byte);
  } while (x > 0);
  return out;
}

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("PacketSizeGuard", () => {
  it("passes a stream of packets within the limit, whole or one byte at a time", () => {
    // Remaining Lengths of 1, 2 and 3 bytes (127, 128 and 16,384 are the boundaries), and a PINGRESP (length 0).
    const stream = concat(publish(10), publish(125), publish(200), Uint8Array.from([0xd0, 0]), publish(20_000), publish(0));
    expect(new PacketSizeGuard(stream.length).feed(stream)).toBeUndefined();
    const guard = new PacketSizeGuard(20_010);
    expect(chunks(stream, 1).filter((c) => guard.feed(c) !== undefined)).toEqual([]);
  });

  it("tells the size of a packet over the limit from its header, before its body arrives", () => {
    const big = publish(5_000);
    const guard = new PacketSizeGuard(4_096);
    expect(guard.feed(publish(100))).toBeUndefined();
    // Only the fixed header (type byte and the two length bytes): enough to know.
    expect(guard.feed(big.subarray(0, 3))).toBe(big.length);
  });

  it("reads a Remaining Length split across chunks at every position", () => {
    // Remaining Length 3,000,003: four length bytes, the first three with the continuation bit.
    const big = publish(3_000_000);
    expect([...big.subarray(1, 5)].map((b) => b >= 0x80)).toEqual([true, true, true, false]);
    for (let split = 1; split <= 4; split++) {
      const guard = new PacketSizeGuard(1_000_000);
      expect(guard.feed(concat(publish(3), big.subarray(0, split)))).toBeUndefined();
      expect(guard.feed(big.subarray(split, 8))).toBe(big.length);
    }
  });

  it("counts the packet's whole size (header included) against the limit: exactly the limit passes, one byte more does not", () => {
    const packet = publish(1_000);
    expect(new PacketSizeGuard(packet.length).feed(packet)).toBeUndefined();
    expect(new PacketSizeGuard(packet.length - 1).feed(packet)).toBe(packet.length);
  });

  it("skips bodies by counting: a packet after a long body that spans chunks is read at its own header", () => {
    const guard = new PacketSizeGuard(50_000);
    const first = publish(40_000);
    const second = publish(60_000);
    const stream = concat(first, second.subarray(0, 4));
    const parts = chunks(stream, 997);
    const results = parts.map((c) => guard.feed(c));
    expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
    expect(results.at(-1)).toBe(second.length);
  });

  it("the largest Remaining Length (four bytes, 268,435,455) is read whole", () => {
    const guard = new PacketSizeGuard(32 * 1024 * 1024);
    expect(guard.feed(Uint8Array.from(header(268_435_455)))).toBe(1 + 4 + 268_435_455);
    expect(new PacketSizeGuard(Number.MAX_SAFE_INTEGER).feed(Uint8Array.from(header(2_097_152)))).toBeUndefined();
  });
});
