// Upgrade rules (reference §3), checked through the real Worker. Every refusal happens before any
// gateway shard is asked to hold the charge point.
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_KV_KEY } from "../../src/config/store";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { anyShardHolds } from "../worker-helpers/shards";


function upgrade(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`http://gateway${path}`, { headers: { Upgrade: "websocket", ...headers } });
}

describe("charge point id", () => {
  it.each([
    ["/ocpp", "clientid_cannot_be_empty", ""],
    ["/ocpp/", "clientid_cannot_be_empty", ""],
    ["/ocpp/a/b", "unsupported_clientid", "a/b"],
    ["/ocpp/a%2Fb", "unsupported_clientid", "a/b"],
    ["/ocpp/a+b", "unsupported_clientid", "a+b"],
    ["/ocpp/a%23b", "unsupported_clientid", "a#b"],
    ["/ocpp/a%01b", "unsupported_clientid", "a\u0001b"],
    [`/ocpp/${"x".repeat(65)}`, "clientid_too_long", "x".repeat(65)],
    ["/ocpp/%E0%A4%A", "invalid_clientid_encoding", "%E0%A4%A"],
    // Ids that look like other ids or hide characters (README "Connect a charge point"):
    ["/ocpp/CP%E2%80%AE001", "unsupported_clientid", "CP\u202E001"], // right-to-left override
    ["/ocpp/CP%E2%80%8B001", "unsupported_clientid", "CP\u200B001"], // zero-width space
    ["/ocpp/%EF%BB%BFCP001", "unsupported_clientid", "\uFEFFCP001"], // byte order mark
    ["/ocpp/CP%C2%A0001", "unsupported_clientid", "CP\u00A0001"], // no-break space
    ["/ocpp/CP%E2%80%A8001", "unsupported_clientid", "CP\u2028001"], // line separator
    ["/ocpp/%20", "unsupported_clientid", " "], // a lone space
    ["/ocpp/CP001%20", "unsupported_clientid", "CP001 "], // trailing space
    ["/ocpp/%D0%A1P001", "unsupported_clientid", "\u0421P001"], // Cyrillic С + Latin P
    ["/ocpp/%D0%A1%D0%A0001", "unsupported_clientid", "\u0421\u0420001"], // Cyrillic СР
    ["/ocpp/CP%EF%BC%8F001", "unsupported_clientid", "CP\uFF0F001"], // fullwidth solidus
    ["/ocpp/CP-e%CC%81", "unsupported_clientid", "CP-e\u0301"], // NFD twin of CP-é
    [`/ocpp/${"%F0%9F%98%80".repeat(50)}`, "unsupported_clientid", "\u{1F600}".repeat(50)], // emoji
  ])("%s → 400 %s, no shard holds it", async (path, reason, cid) => {
    const res = await upgrade(path, { "Sec-WebSocket-Protocol": "ocpp1.6" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "BAD_REQUEST", reason, message: expect.stringMatching(/^charge point id /) });
    expect(await anyShardHolds(cid)).toBe(false);
  });

  it("accepts the NFC form of an id and ids of one script", async () => {
    for (const cid of ["CP-\u00e9", "\u6771\u4eac\u30b9\u30c6\u30fc\u30b7\u30e7\u30f31", "\u041c\u043e\u0441\u043a\u0432\u0430-1"]) {
      (await ChargePointSocket.open(cid)).close();
      expect(await anyShardHolds(cid)).toBe(true);
    }
  });

  it("percent-decodes the id (64 characters is still allowed)", async () => {
    const cid = `CP 1|é-${"y".repeat(57)}`;
    expect([...cid].length).toBe(64);
    const cp = await ChargePointSocket.open(cid);
    expect(await anyShardHolds(cid)).toBe(true);
    cp.close();
  });
});

describe("upgrade and subprotocol", () => {
  it("answers a plain request with 426; no shard holds it", async () => {
    const res = await SELF.fetch("http://gateway/ocpp/plain-get");
    expect(res.status).toBe(426);
    expect(res.headers.get("Upgrade")).toBe("websocket");
    expect(await res.json()).toMatchObject({ code: "UPGRADE_REQUIRED" });
    expect(await anyShardHolds("plain-get")).toBe(false);
  });

  it("refuses when none of the offered subprotocols is supported", async () => {
    const res = await upgrade("/ocpp/proto-none", { "Sec-WebSocket-Protocol": "ocpp2.0, ocpp1.5" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reason: "no_supported_subprotocol" });
    expect(await anyShardHolds("proto-none")).toBe(false);
  });

  it("the charge point's order of preference decides among 1.6, 2.0.1 and 2.1", async () => {
    for (const [offer, chosen] of [
      ["ocpp2.1, ocpp2.0.1, ocpp1.6", "ocpp2.1"],
      ["ocpp1.6, ocpp2.1", "ocpp1.6"],
      ["ocpp2.0, ocpp2.0.1, ocpp2.1", "ocpp2.0.1"],
    ] as const) {
      const cp = await ChargePointSocket.open(`proto-order-${chosen}`, offer);
      expect(cp.response.headers.get("Sec-WebSocket-Protocol")).toBe(chosen);
      cp.close();
    }
  });

  it("2.x identity rules apply to 2.x charge points only: at most 48 characters, no ':'", async () => {
    const long = "L".repeat(49);
    for (const proto of ["ocpp2.0.1", "ocpp2.1"]) {
      const tooLong = await upgrade(`/ocpp/${long}`, { "Sec-WebSocket-Protocol": proto });
      expect([tooLong.status, ((await tooLong.json()) as { reason: string }).reason]).toEqual([400, "clientid_too_long"]);
      const colon = await upgrade("/ocpp/site:1", { "Sec-WebSocket-Protocol": proto });
      expect([colon.status, ((await colon.json()) as { reason: string }).reason]).toEqual([400, "unsupported_clientid"]);
    }
    expect(await anyShardHolds(long)).toBe(false);
    const v16 = await ChargePointSocket.open(long, "ocpp1.6");
    expect(v16.response.status).toBe(101);
    v16.close();
  });

  it("supported_protocols restricts the versions: a 2.x-only gateway refuses 1.6 and charge points that offer nothing", async () => {
    await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify({ supported_protocols: ["ocpp2.1", "ocpp2.0.1"] }));
    try {
      const v16 = await upgrade("/ocpp/proto-restricted", { "Sec-WebSocket-Protocol": "ocpp1.6" });
      expect([v16.status, ((await v16.json()) as { reason: string }).reason]).toEqual([400, "no_supported_subprotocol"]);
      const none = await upgrade("/ocpp/proto-restricted", {});
      expect(none.status).toBe(400);
      const v201 = await ChargePointSocket.open("proto-restricted", "ocpp1.6, ocpp2.0.1");
      expect(v201.response.headers.get("Sec-WebSocket-Protocol")).toBe("ocpp2.0.1");
      v201.close();
    } finally {
      await env.GATEWAY_KV.delete(CONFIG_KV_KEY);
    }
  });

  it("echoes the first supported subprotocol the charge point offered", async () => {
    const cp = await ChargePointSocket.open("proto-list", "ocpp1.5, ocpp1.6");
    expect(cp.response.status).toBe(101);
    expect(cp.response.headers.get("Sec-WebSocket-Protocol")).toBe("ocpp1.6");
    cp.close();
  });

  it("accepts a charge point that offers no subprotocol as 1.6 without echoing one", async () => {
    const cp = await ChargePointSocket.open("proto-absent", null);
    expect(cp.response.status).toBe(101);
    expect(cp.response.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    cp.close();
  });

  it("answers other paths with a JSON 404", async () => {
    const res = await SELF.fetch("http://gateway/nothing-here");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: "RESOURCE_NOT_FOUND", message: "no such resource" });
  });
});

describe("configuration at the door", () => {
  afterEach(async () => {
    await env.GATEWAY_KV.delete(CONFIG_KV_KEY);
  });

  it("a disabled gateway answers 503; no shard holds the charge point", async () => {
    await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify({ enable: false }));
    const res = await upgrade("/ocpp/while-disabled", { "Sec-WebSocket-Protocol": "ocpp1.6" });
    expect(res.status).toBe(503);
    expect(await anyShardHolds("while-disabled")).toBe(false);
  });

  it("serves charge points under a configured path", async () => {
    await env.GATEWAY_KV.put(
      CONFIG_KV_KEY,
      JSON.stringify({ listeners: [{ type: "ws", name: "default", websocket: { path: "/chargers" } }] }),
    );
    expect((await upgrade("/chargers/", { "Sec-WebSocket-Protocol": "ocpp1.6" })).status).toBe(400);
    const res = await upgrade("/chargers/path-moved", { "Sec-WebSocket-Protocol": "ocpp1.6" });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close(1000);
    expect((await upgrade("/ocpp/path-moved")).status).toBe(404);
  });
});
