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

  it("refuses a listener without a WebSocket path instead of failing on it", () => {
    const r = resolveConfig({ listeners: [{ type: "ws", name: "default" }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join("; ")).toContain("websocket");
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

/** The problems of a configuration made of `layer` over the defaults ([] when it is accepted). */
function problemsOf(layer: unknown): string[] {
  const r = resolveConfig(layer);
  return r.ok ? [] : r.problems;
}

describe("configuration that cannot work is refused", () => {
  it.each([
    [{ upstream: { error_topic: "cs/${cid}" } }, "upstream.error_topic", "ocpp/cs/+"],
    [{ upstream: { reply_topic: "cs/${clientid}" } }, "upstream.reply_topic", "ocpp/cs/+"],
    [{ dnstream: { topic: "cp/${cid}" } }, "upstream.topic", "ocpp/cp/+"],
    [{ dnstream: { topic: "cp/${cid}/+" } }, "upstream.reply_topic", "ocpp/cp/+/+"],
    [{ dnstream: { topic: "cp/${cid}/#" } }, "upstream.topic", "ocpp/cp/+/#"],
    [{ dnstream: { topic: "${cid}/#" } }, "events_topic", "ocpp/+/#"],
    // `${action}` where the filter has a literal level: the Action can be that word.
    [{ dnstream: { topic: "cp/${cid}/Heartbeat" }, upstream: { topic: "cp/${cid}/${action}" } }, "upstream.topic", "ocpp/cp/+/Heartbeat"],
    // A charge point id can be any word, so a `${cid}` level meets a literal level of the filter.
    [{ dnstream: { topic: "cs/${cid}" }, events_topic: "${cid}/${cid}" }, "events_topic", "ocpp/cs/+"],
    [{ upstream: { topic_override_mapping: { Authorize: "cs/${cid}" } } }, "upstream.topic_override_mapping.Authorize", "ocpp/cs/+"],
    [{ diagnostics_topic: "cs/${cid}" }, "diagnostics_topic", "ocpp/cs/+"],
  ])("%j: the downstream subscription would receive the gateway's own messages (%s)", (layer, field, filter) => {
    const problems = problemsOf(layer);
    const line = problems.find((p) => p.startsWith(`${field}:`));
    expect(line).toContain(filter);
    expect(line).toContain("dnstream.topic");
  });

  it.each([
    // The mapping fixes the Action: "Notify/BootNotification" can never be "Notify/Heartbeat".
    [{ dnstream: { topic: "cs/${cid}/Heartbeat" }, upstream: { topic_override_mapping: { BootNotification: "cs/${cid}/${action}" } } }],
    // Different level counts, and a literal level that differs.
    [{ dnstream: { topic: "cs/${cid}/in" } }],
    [{ dnstream: { topic: "down/${cid}" }, upstream: { topic: "up/${cid}" } }],
  ])("%j is accepted: nothing the gateway publishes falls under the subscription", (layer) => {
    expect(problemsOf(layer)).toEqual([]);
  });

  it.each([
    [{ events_topic: "events/all" }, "events_topic: must contain ${cid} or ${clientid} as a whole topic level"],
    [{ upstream: { topic: "cp/calls" } }, "upstream.topic: must contain ${cid} or ${clientid} as a whole topic level"],
    [{ upstream: { topic_override_mapping: { Heartbeat: "hb/${action}" } } }, "upstream.topic_override_mapping.Heartbeat: must contain ${cid}"],
    [{ diagnostics_topic: "diag/x${cid}" }, "diagnostics_topic: must contain ${cid} or ${clientid} as a whole topic level"],
    [{ upstream: { reply_topic: "cp//${cid}" } }, "upstream.reply_topic: must not have empty topic levels"],
    [{ upstream: { error_topic: "cp/${cid}/" } }, "upstream.error_topic: must not have empty topic levels"],
    [{ mountpoint: "", events_topic: "$SYS/${cid}" }, "events_topic: must not start with '$'"],
    [{ dnstream: { topic: "/cs/${cid}" } }, "dnstream.topic: must not have empty topic levels"],
    [{ mountpoint: "", dnstream: { topic: "$share/g/${cid}" } }, "dnstream.topic: must not start with '$'"],
    [{ dnstream: { topic: "cs/${cid}\u0000" } }, "dnstream.topic: must match pattern"],
  ])("%j → %s", (layer, problem) => {
    expect(problemsOf(layer).join("; ")).toContain(problem);
  });

  it.each(["/api", "/api/v5", "/api/v5/gateways/ocpp", "/"])("websocket.path %s would shadow the management API or / and is refused", (path) => {
    const problems = problemsOf({ listeners: [{ type: "ws", name: "default", websocket: { path } }] });
    expect(problems.join("; ")).toMatch(/^listeners\.0\.websocket\.path: /);
  });

  it.each(["/ocpp//x", "/ocpp/./x", "/ocpp/../api", "/ocpp/", "ocpp"])("websocket.path %s is not a clean absolute path and is refused", (path) => {
    expect(problemsOf({ listeners: [{ type: "ws", name: "default", websocket: { path } }] }).join("; ")).toContain("listeners.0.websocket.path");
  });

  it.each(["/ocpp", "/apis", "/ocpp/v16", "/a-b_c.d~e"])("websocket.path %s is accepted", (path) => {
    expect(problemsOf({ listeners: [{ type: "ws", name: "default", websocket: { path } }] })).toEqual([]);
  });

  it.each([
    [{ default_heartbeat_interval: "999999999h" }, "default_heartbeat_interval: must be at most 24h"],
    [{ default_heartbeat_interval: "86401s" }, "default_heartbeat_interval: must be at most 24h"],
    [{ idle_timeout: "61m" }, "idle_timeout: must be at most 1h"],
    [{ dnstream: { awaiting_timeout: "3600001ms" } }, "dnstream.awaiting_timeout: must be at most 1h"],
    [{ dnstream: { session_expiry_interval: "169h" } }, "dnstream.session_expiry_interval: must be at most 168h (7 days)"],
    [{ upstream: { outbox_max_len: 100000 }, max_frame_size: 1048576 }, "upstream.outbox_max_len: times max_frame_size must be at most"],
  ])("%j → %s", (layer, problem) => {
    expect(problemsOf(layer).join("; ")).toContain(problem);
  });

  it("durations at their maxima are accepted", () => {
    expect(
      problemsOf({
        default_heartbeat_interval: "24h",
        idle_timeout: "60m",
        dnstream: { awaiting_timeout: "3600s", session_expiry_interval: "168h" },
        upstream: { outbox_max_len: 1024 },
        max_frame_size: 1048576,
      }),
    ).toEqual([]);
  });
});
