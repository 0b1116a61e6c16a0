import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, durationMs, resolveConfig } from "../../src/config/gateway-config";

describe("resolveConfig", () => {
  it("defaults equal EMQX's (reference §2) with validation on", () => {
    const r = resolveConfig();
    expect(r).toEqual({ ok: true, config: DEFAULT_CONFIG });
    expect(DEFAULT_CONFIG).toMatchObject({
      mountpoint: "ocpp/",
      default_heartbeat_interval: "60s",
      heartbeat_checking_times_backoff: 1,
      idle_timeout: "30s",
      upstream: { topic: "cp/${cid}", reply_topic: "cp/${cid}/Reply", error_topic: "cp/${cid}/Reply", topic_override_mapping: {} },
      dnstream: { topic: "cs/${cid}", max_mqueue_len: 100 },
    });
  });

  it("later layers win key by key; nested objects are completed from the defaults", () => {
    const r = resolveConfig({ mountpoint: "a/", upstream: { topic: "x/${cid}" } }, { mountpoint: "b/" });
    expect(r.ok && r.config.mountpoint).toBe("b/");
    expect(r.ok && r.config.upstream).toEqual({ ...DEFAULT_CONFIG.upstream, topic: "x/${cid}" });
  });

  it("ignores read-only fields written back from a GET", () => {
    const r = resolveConfig({ name: "ocpp", status: "running", mountpoint: "m/" });
    expect(r.ok && r.config.mountpoint).toBe("m/");
  });

  it("the topic override map is the user's whole", () => {
    const r = resolveConfig({ upstream: { topic_override_mapping: { BootNotification: "cp/${cid}/boot" } } });
    expect(r.ok && r.config.upstream.topic_override_mapping).toEqual({ BootNotification: "cp/${cid}/boot" });
  });

  it.each([
    [{ mountpoint: "a/+/" }, "mountpoint"],
    [{ default_heartbeat_interval: "60" }, "default_heartbeat_interval"],
    [{ heartbeat_checking_times_backoff: -1 }, "heartbeat_checking_times_backoff"],
    [{ message_format_checking: "some" }, "message_format_checking"],
    [{ upstream: { topic: "cp/#" } }, "upstream.topic"],
    [{ upstream: { topic_override_mapping: { "Boot/Notification": "x" } } }, "upstream.topic_override_mapping"],
    [{ dnstream: { topic: "cs/all" } }, "dnstream.topic"],
    [{ dnstream: { max_mqueue_len: 0 } }, "dnstream.max_mqueue_len"],
    [{ unknown_field: 1 }, "unknown_field"],
    [{ listeners: [{ type: "ws", name: "default", websocket: { path: "/ocpp/" } }] }, "websocket.path"],
  ])("refuses %j, naming %s", (layer, field) => {
    const r = resolveConfig(layer);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join("; ")).toContain(field);
  });

  it("refuses a layer that is not an object", () => {
    expect(resolveConfig("mountpoint")).toEqual({ ok: false, problems: ["configuration layer 1 is not a JSON object"] });
  });
});

describe("durationMs", () => {
  it.each([
    ["500ms", 500],
    ["60s", 60_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
  ])("%s = %d ms", (d, ms) => expect(durationMs(d)).toBe(ms));
  it("refuses other spellings", () => expect(() => durationMs("60")).toThrow());
});
