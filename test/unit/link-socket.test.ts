import { describe, expect, it } from "vitest";
import { socketEnd } from "../../src/objects/link-socket";

describe("socketEnd: how the broker link's WebSocket ended", () => {
  it("recognises workerd's error event for a message over its 32 MiB limit, without the 'Uncaught' prefix", () => {
    // The message workerd's `error` event carried when a 33,554,433-byte message arrived (no close event follows).
    const seen =
      "Uncaught Error: WebSocket protocol error; protocolError.statusCode = 1009; protocolError.description = Message is too large: 33554433 > 33554432";
    const end = socketEnd(undefined, seen);
    expect(end.tooBig).toBe(true);
    expect(end.message).toMatch(/^the broker sent a message larger than the 33554432-byte WebSocket limit \(Error: WebSocket protocol error/);
    expect(end.message).not.toMatch(/Uncaught/);
  });

  it("recognises a close with 1009 (message too big, RFC 6455 §7.4.1)", () => {
    expect(socketEnd(1009, "").tooBig).toBe(true);
  });

  it.each([
    { code: 1006, reason: "WebSocket disconnected without sending Close frame.", message: "WebSocket closed (1006 WebSocket disconnected without sending Close frame.)" },
    { code: 1000, reason: "", message: "WebSocket closed (1000)" },
    { code: undefined, reason: "", message: "WebSocket error" },
    { code: undefined, reason: "Uncaught Error: Network connection lost.", message: "WebSocket error: Error: Network connection lost." },
  ])("other ends are not 'too big': $code $reason", ({ code, reason, message }) => {
    expect(socketEnd(code, reason)).toEqual({ tooBig: false, message });
  });
});
