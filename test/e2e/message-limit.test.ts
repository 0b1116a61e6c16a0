// The front's WebSocket message limit (scripts/message-limit.mjs) on byte streams a client could send: frames built
// here as RFC 6455 §5.2 lays them out, compressed as RFC 7692 §7.2.1 says (zlib's raw deflate, flushed per
// message, the last four bytes removed), fed whole and in pieces down to single bytes. What may go on goes on unchanged and in order; the frame that would take a message
// over the limit, and everything after it, does not.
import { randomBytes } from "node:crypto";
import { constants, createDeflateRaw } from "node:zlib";
import { describe, expect, it } from "vitest";
import { MessageLimit } from "../../scripts/message-limit.mjs";

const LIMIT = 1000;

/** A client frame: masked, as every client frame is (RFC 6455 §5.3). */
function frame(opcode: number, payload: Buffer, { fin = true, rsv1 = false } = {}): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0, 0x80 | len]) : len < 65536 ? Buffer.from([0, 0x80 | 126, len >> 8, len & 0xff]) : Buffer.alloc(10);
  if (len >= 65536) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)))]);
}

const text = (n: number, c = "a"): Buffer => Buffer.from(c.repeat(n));

/** A client's permessage-deflate compressor, with or without its context kept between messages (RFC 7692 §7.2.1). */
function compressor(noContextTakeover = false): (data: Buffer, fin: boolean) => Promise<Buffer> {
  const deflate = createDeflateRaw();
  const out: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => out.push(chunk));
  return (data, fin) =>
    new Promise((resolve) => {
      deflate.write(data);
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        let bytes = Buffer.concat(out.splice(0));
        if (fin) {
          bytes = bytes.subarray(0, bytes.length - 4);
          if (noContextTakeover) deflate.reset();
        }
        resolve(bytes);
      });
    });
}

/** Feeds `stream` in pieces of `size` bytes (whole when undefined); what went on, and whether the limit was hit. */
async function feed(stream: Buffer, size: number | undefined, deflate?: { noContextTakeover: boolean }): Promise<{ forwarded: Buffer; exceeded: number }> {
  const parts: Buffer[] = [];
  let exceeded = 0;
  const limit = new MessageLimit({ limit: LIMIT, deflate, forward: (b) => parts.push(Buffer.from(b)), exceeded: () => exceeded++ });
  const step = size ?? stream.length;
  for (let i = 0; i < stream.length; i += step) await limit.push(stream.subarray(i, i + step));
  return { forwarded: Buffer.concat(parts), exceeded };
}

const PIECES = [undefined, 1, 7, 100];

describe("the front's message limit", () => {
  it.each(PIECES)("passes messages up to the limit unchanged: whole, fragmented, with control frames between fragments (pieces of %s bytes)", async (size) => {
    const stream = Buffer.concat([
      frame(1, text(LIMIT)),
      frame(1, text(400), { fin: false }),
      frame(9, Buffer.from("ping")),
      frame(0, text(600)),
      frame(2, Buffer.alloc(0)),
      frame(10, Buffer.alloc(0)),
      frame(1, text(200)),
      frame(8, Buffer.from([0x03, 0xe8])),
    ]);
    expect(await feed(stream, size)).toEqual({ forwarded: stream, exceeded: 0 });
  });

  it.each(PIECES)("stops before the frame that takes a message over the limit, and forwards nothing after it (pieces of %s bytes)", async (size) => {
    const before = Buffer.concat([frame(1, text(10)), frame(1, text(LIMIT - 1), { fin: false })]);
    const stream = Buffer.concat([before, frame(0, text(2)), frame(1, text(1))]);
    expect(await feed(stream, size)).toEqual({ forwarded: before, exceeded: 1 });
    const single = Buffer.concat([frame(1, text(5)), frame(1, text(LIMIT + 1)), frame(1, text(5))]);
    expect(await feed(single, size)).toEqual({ forwarded: single.subarray(0, 11), exceeded: 1 });
  });

  it("counts a frame whose 64-bit length is beyond any message as over the limit", async () => {
    const huge = Buffer.from([0x81, 0x80 | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
    const first = frame(1, text(3));
    expect(await feed(Buffer.concat([first, huge]), undefined)).toEqual({ forwarded: first, exceeded: 1 });
  });

  for (const noContextTakeover of [false, true]) {
    it.each(PIECES)(`counts compressed messages after decompression (client_no_context_takeover: ${noContextTakeover}; pieces of %s bytes)`, async (size) => {
      const compress = compressor(noContextTakeover);
      // Each message repeats the one before, so with the context kept it compresses to a back-reference.
      const ok = Buffer.concat([
        frame(1, await compress(text(LIMIT, "b"), true), { rsv1: true }),
        frame(1, await compress(text(LIMIT, "b"), true), { rsv1: true }),
        frame(1, await compress(text(300, "c"), false), { rsv1: true, fin: false }),
        frame(9, Buffer.from("ping")),
        frame(0, await compress(text(LIMIT - 300, "c"), true)),
        frame(1, text(LIMIT)),
      ]);
      const over = frame(1, await compress(text(LIMIT + 1, "d"), true), { rsv1: true });
      expect(over.length).toBeLessThan(100);
      const after = frame(1, await compress(text(5), true), { rsv1: true });
      expect(await feed(Buffer.concat([ok, over, after]), size, { noContextTakeover })).toEqual({ forwarded: ok, exceeded: 1 });
    });
  }

  it("passes on what it cannot follow (RSV1 without permessage-deflate; data that does not inflate), for the runtime to judge", async () => {
    const odd = Buffer.concat([frame(1, text(5)), frame(1, text(LIMIT + 5), { rsv1: true }), frame(1, text(LIMIT + 5))]);
    expect(await feed(odd, 3)).toEqual({ forwarded: odd, exceeded: 0 });
    const garbage = Buffer.concat([frame(1, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv1: true }), frame(1, text(LIMIT + 5))]);
    expect(await feed(garbage, undefined, { noContextTakeover: false })).toEqual({ forwarded: garbage, exceeded: 0 });
  });
});
