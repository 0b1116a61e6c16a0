// The Workers runtime's limit on a WebSocket message a client sends, applied by `npm start`'s front before the
// runtime sees the message.
//
// workerd refuses a message over 32 MiB itself (kj's WebSocket reader: "Message is too large", close 1009). For a
// hibernating socket it then calls the object's webSocketError, and the upgrade request that returned the socket
// fails after the Worker's fetch handler has returned, which workerd logs as "Uncaught exception": nothing in the
// Worker can catch that. The front counts what a charge point sends the way workerd does — the payload bytes of a
// message across its fragments, after decompression when it is compressed (RFC 7692 permessage-deflate) — and
// ends a connection whose message would exceed the limit with 1009 and a reason, to both sides, before any byte
// of the offending frame is passed on. Anything it cannot follow it passes on as it came, for workerd to judge.
import { randomBytes } from "node:crypto";
import { createInflateRaw } from "node:zlib";

/** workerd's limit: larger messages are refused (33,554,432 bytes is accepted, one more is not). */
export const RUNTIME_MESSAGE_LIMIT = 32 * 1024 * 1024;

/** RFC 7692 §7.2.2: the bytes a sender removes from the end of each compressed message. */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** A Close frame (RFC 6455 §5.5.1): masked when a client sends it, as every client frame must be (§5.3). */
export function closeFrame(code, reason, masked) {
  const payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason).subarray(0, 123)]);
  if (!masked) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, unmask(payload, mask, 0)]);
}

/** `bytes` XOR the masking key, `offset` bytes into the payload (RFC 6455 §5.3); a copy. */
function unmask(bytes, mask, offset) {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let k = 0; k < bytes.length; k++) out[k] = (bytes[k] ?? 0) ^ (mask[(offset + k) % 4] ?? 0);
  return out;
}

/** The header at the start of `bytes` (RFC 6455 §5.2), or undefined until all of it has arrived. */
function parseHeader(bytes) {
  if (bytes.length < 2) return undefined;
  const len7 = bytes[1] & 0x7f;
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const masked = (bytes[1] & 0x80) !== 0;
  const size = 2 + extended + (masked ? 4 : 0);
  if (bytes.length < size) return undefined;
  const length = len7 === 126 ? bytes.readUInt16BE(2) : len7 === 127 ? Number(bytes.readBigUInt64BE(2)) : len7;
  return {
    size,
    fin: (bytes[0] & 0x80) !== 0,
    rsv1: (bytes[0] & 0x40) !== 0,
    opcode: bytes[0] & 0x0f,
    length,
    mask: masked ? bytes.subarray(2 + extended, size) : undefined,
  };
}

/**
 * Follows the frames a client sends on an upgraded connection. `push` them in order (each call waits for the one
 * before); bytes that may go on are given to `forward`, in order; `exceeded` is called once, instead of forwarding
 * the frame that would take its message over `limit`, and nothing is forwarded after it.
 * `deflate`: undefined when permessage-deflate was not negotiated, else whether the client resets its compression
 * context after each message (`client_no_context_takeover`).
 */
export class MessageLimit {
  #limit;
  #forward;
  #exceeded;
  #noContextTakeover;
  #inflater;
  #inflated = 0;
  #header = Buffer.alloc(0);
  /** The frame whose payload is being read: passed on as it arrives, or held (compressed) until it is counted. */
  #frame;
  #message = { compressed: false, bytes: 0 };
  /** "follow", "pass" (something it cannot follow: everything goes on unread) or "done" (the limit was exceeded). */
  #mode = "follow";
  #queue = Promise.resolve();
  /** Ends the wait for the inflater: when it is done, when it fails, or once the message is over the limit. */
  #flushed;

  constructor({ limit = RUNTIME_MESSAGE_LIMIT, deflate, forward, exceeded }) {
    this.#limit = limit;
    this.#forward = forward;
    this.#exceeded = exceeded;
    if (deflate !== undefined) {
      this.#noContextTakeover = deflate.noContextTakeover;
      this.#inflater = createInflateRaw();
      this.#inflater.on("data", (chunk) => {
        this.#inflated += chunk.length;
        // Over the limit already: no need to inflate the rest (a small frame may hold gigabytes).
        if (this.#message.bytes + this.#inflated > this.#limit) this.#flushed?.();
      });
      // Data that does not inflate is for workerd to refuse.
      this.#inflater.on("error", () => {
        this.#passOn();
        this.#flushed?.();
      });
    }
  }

  push(chunk) {
    this.#queue = this.#queue.then(() => this.#take(chunk));
    return this.#queue;
  }

  /** From here on the bytes go on unread, the held frame first. */
  #passOn() {
    if (this.#mode !== "follow") return;
    this.#mode = "pass";
    if (this.#frame?.held !== undefined) this.#forward(Buffer.concat(this.#frame.held));
    if (this.#header.length > 0) this.#forward(this.#header);
  }

  async #take(chunk) {
    if (this.#mode === "pass") return this.#forward(chunk);
    if (this.#mode === "done") return;
    let out = [];
    const flush = () => {
      if (out.length > 0) this.#forward(out.length === 1 ? out[0] : Buffer.concat(out));
      out = [];
    };
    let i = 0;
    while (i < chunk.length || (this.#frame !== undefined && this.#frame.left === 0)) {
      if (this.#frame === undefined) {
        const bytes = Buffer.concat([this.#header, chunk.subarray(i, i + 14)]);
        const header = parseHeader(bytes);
        if (header === undefined) {
          this.#header = bytes;
          i = chunk.length;
          break;
        }
        i += header.size - this.#header.length;
        this.#header = Buffer.alloc(0);
        const headerBytes = bytes.subarray(0, header.size);
        if (header.opcode >= 0x8) {
          out.push(headerBytes);
          this.#frame = { left: header.length };
          continue;
        }
        if (header.opcode !== 0x0) this.#message = { compressed: header.rsv1 && this.#inflater !== undefined, bytes: 0 };
        // A length past 2^53 is over any limit.
        if (!Number.isSafeInteger(header.length)) return this.#stop(flush);
        if (header.rsv1 && this.#inflater === undefined) {
          // Not a frame workerd takes either (RFC 6455 §5.2: RSV1 only with an extension that defines it).
          flush();
          this.#mode = "pass";
          this.#forward(Buffer.concat([headerBytes, chunk.subarray(i)]));
          return;
        }
        if (!this.#message.compressed) {
          this.#message.bytes += header.length;
          if (this.#message.bytes > this.#limit) return this.#stop(flush);
          out.push(headerBytes);
          this.#frame = { left: header.length };
          continue;
        }
        flush();
        this.#frame = { left: header.length, held: [headerBytes], mask: header.mask, at: 0, fin: header.fin };
        continue;
      }
      const frame = this.#frame;
      const n = Math.min(frame.left, chunk.length - i);
      const part = chunk.subarray(i, i + n);
      i += n;
      frame.left -= n;
      if (frame.held === undefined) {
        out.push(part);
        if (frame.left === 0) this.#frame = undefined;
        continue;
      }
      frame.held.push(part);
      this.#inflater.write(frame.mask === undefined ? part : unmask(part, frame.mask, frame.at));
      frame.at += n;
      if (frame.left > 0) continue;
      if (frame.fin) this.#inflater.write(DEFLATE_TAIL);
      await new Promise((resolve) => {
        this.#flushed = resolve;
        this.#inflater.flush(() => resolve());
      });
      this.#flushed = undefined;
      if (this.#mode !== "follow") return this.#mode === "pass" ? this.#forward(chunk.subarray(i)) : undefined;
      this.#message.bytes += this.#inflated;
      this.#inflated = 0;
      if (this.#message.bytes > this.#limit) return this.#stop(flush);
      this.#forward(Buffer.concat(frame.held));
      this.#frame = undefined;
      if (frame.fin && this.#noContextTakeover) this.#inflater.reset();
    }
    flush();
  }

  #stop(flush) {
    flush();
    this.#mode = "done";
    this.#frame = undefined;
    this.#inflater?.destroy();
    this.#exceeded();
  }
}
