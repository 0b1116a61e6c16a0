// MQTT over WebSocket for the shards' broker link (src/link/websocket-transport.ts): how a socket's end is read, and
// the mTLS certificate binding's path, against the real test broker's WebSocket listener.
import { describe, expect, it } from "vitest";
import type { TransportEnd } from "../../src/link/transport";
import { openWebSocketTransport, socketEnd } from "../../src/link/websocket-transport";
import { brokerWsUrl } from "../worker-helpers/broker-urls";

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

/** MQTT 3.1.1 CONNECT (client id "mtls-test", clean session, keep-alive 30 s) and the CONNACK it is accepted with. */
const CONNECT = Uint8Array.from([0x10, 21, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 30, 0, 9, ...new TextEncoder().encode("mtls-test")]);
const CONNACK_ACCEPTED = [0x20, 2, 0, 0];

/** A stand-in for the mtls_certificates binding: records what it is asked and answers through `answer`. */
function fakeBinding(answer: (url: string, init: RequestInit) => Promise<Response>) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const binding = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      calls.push({ url, headers: Object.fromEntries(new Headers(init?.headers)) });
      return answer(url, init ?? {});
    },
  } as unknown as Fetcher;
  return { binding, calls };
}

describe("openWebSocketTransport with an mTLS certificate binding (BROKER_MTLS)", () => {
  it("opens the broker's WebSocket through the binding's fetch, as an http(s) upgrade with subprotocol mqtt", async () => {
    const { binding, calls } = fakeBinding((url, init) => fetch(url, init));
    // The broker may split its CONNACK over several WebSocket messages.
    const received: number[] = [];
    const bytes = await new Promise<number[]>((resolve, reject) => {
      const socket = openWebSocketTransport(
        brokerWsUrl,
        "test",
        {
          open: () => socket.send([CONNECT]),
          bytes: (data) => {
            received.push(...data);
            if (received.length < CONNACK_ACCEPTED.length) return;
            resolve(received);
            socket.close();
          },
          end: (end) => reject(new Error(end.message)),
        },
        binding,
      );
    });
    expect(bytes).toEqual(CONNACK_ACCEPTED);
    expect(calls).toEqual([
      { url: brokerWsUrl.replace(/^ws:/, "http:"), headers: expect.objectContaining({ upgrade: "websocket", "sec-websocket-protocol": "mqtt" }) },
    ]);
  });

  it("wss:// becomes https:// for the binding", async () => {
    const { binding, calls } = fakeBinding(() => Promise.resolve(new Response(null, { status: 404 })));
    await new Promise<TransportEnd>((end) => openWebSocketTransport("wss://broker.example.com:8084/mqtt", "test", { open() {}, bytes() {}, end }, binding));
    expect(calls.map((c) => c.url)).toEqual(["https://broker.example.com:8084/mqtt"]);
  });

  it("a refused upgrade ends the socket with its status and the start of its body", async () => {
    const { binding } = fakeBinding(() => Promise.resolve(new Response("TLS connection to broker failed: tlsv13 alert certificate required", { status: 502 })));
    const end = await new Promise<TransportEnd>((end) => openWebSocketTransport("wss://broker.example.com/mqtt", "test", { open() {}, bytes() {}, end }, binding));
    expect(end).toEqual({ tooBig: false, message: "the broker refused the WebSocket upgrade: HTTP 502 (TLS connection to broker failed: tlsv13 alert certificate required)" });
  });

  it("a binding whose fetch fails (a TLS handshake the broker refused) ends the socket with that error", async () => {
    const { binding } = fakeBinding(() => Promise.reject(new Error("Network connection lost.")));
    const end = await new Promise<TransportEnd>((end) => openWebSocketTransport("wss://broker.example.com/mqtt", "test", { open() {}, bytes() {}, end }, binding));
    expect(end).toEqual({ tooBig: false, message: "Network connection lost." });
  });
});
