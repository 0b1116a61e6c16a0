// A gateway shard's timers and stored state against values that are legal but extreme, or written by an earlier
// version: the real Worker, shard, its storage, its watchdog alarm and the broker.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_HEARTBEAT_INTERVAL_S } from "../../src/session/lifecycle";
import { RETENTION_MS } from "../../src/shard/member";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";
import { addressOf, linkOf, nameOf, rows, stubOf } from "../worker-helpers/shards";

let csms: MqttProbe;

beforeAll(async () => {
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

const on = (topic: string, uniqueId?: string) => (m: Received) => m.topic === topic && (uniqueId === undefined || m.json().UniqueId === uniqueId);

/** What a test reaches into: the shard's members (src/shard/member.ts) and its configuration caches. */
interface ShardInside {
  readonly members: Map<string, { timerAt: number; conn?: unknown; cached?: unknown; record?: Record<string, unknown>; schedule(): void }>;
  readonly configs: Map<number, unknown>;
  readonly configIds: Map<string, number>;
}
const inside = (instance: unknown) => instance as ShardInside;

async function booted(cid: string, interval: number): Promise<ChargePointSocket> {
  const cp = await ChargePointSocket.open(cid);
  cp.send([2, "boot", "BootNotification", { chargePointVendor: "v", chargePointModel: "m" }]);
  await csms.next(on(`ocpp/cp/${cid}`, "boot"));
  await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: "boot", Payload: { status: "Accepted", currentTime: new Date().toISOString(), interval } });
  expect((await cp.nextFrame())[1]).toBe("boot");
  return cp;
}

/** Every row the shard stores for `cid`, table by table (empty tables left out). */
async function storedFor(cid: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const table of ["sessions", "dn_queue", "dn_inflight", "dn_timed_out", "outbox", "outbox_retry"]) {
    const [row] = await rows<{ n: number }>(addressOf(cid), `SELECT COUNT(*) AS n FROM ${table} WHERE cid = ?`, cid);
    if ((row?.n ?? 0) > 0) found[table] = row?.n ?? 0;
  }
  // Its downstream filter and its claims filter.
  const filters = await rows<{ filter: string }>(addressOf(cid), "SELECT filter FROM filters WHERE filter LIKE ?", `%/${cid}`);
  if (filters.length > 0) found.filters = filters.length;
  return found;
}

describe("timers", () => {
  it("a BootNotification answer with interval 2^53 − 1 (schema-valid) leaves the timers working", async () => {
    const cid = "timers-huge-interval";
    const cp = await booted(cid, Number.MAX_SAFE_INTEGER);
    const stub = stubOf(addressOf(cid));
    // The shard's watchdog re-arms every member's timer for its earliest deadline: that must not throw.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const armed = await runInDurableObject(stub, async (instance, state) => ({
      timerAt: inside(instance).members.get(cid)?.timerAt,
      alarm: await state.storage.getAlarm(),
    }));
    // The heartbeat check is due within two of the longest intervals the gateway takes (7 days).
    expect(Number.isFinite(armed.timerAt)).toBe(true);
    expect(armed.timerAt as number).toBeLessThanOrEqual(Date.now() + 2 * MAX_HEARTBEAT_INTERVAL_S * 1000 + 60_000);
    // The watchdog itself is armed again.
    expect(armed.alarm).not.toBeNull();
    // And the shard still serves the charge point.
    cp.send([2, "hb", "Heartbeat", {}]);
    await csms.next(on(`ocpp/cp/${cid}`, "hb"));
    expect(cp.closed).toBeUndefined();
    cp.close();
  });
});

/** A member as the silence test drives it (src/shard/member.ts). */
interface MemberInside {
  run<T>(what: string, task: () => Promise<T>, fallback: T): Promise<T>;
  tick(): Promise<void>;
  socketState(): { lastSeen: number; heartbeatSince: number; answeredAt: number } | undefined;
}

describe("the silence check judges when frames arrived", () => {
  it("a frame that arrived while the timer's check waited its turn keeps the connection, and is relayed", async () => {
    const cid = "timers-arrived-first";
    const cp = await booted(cid, 60);
    const stub = stubOf(addressOf(cid));
    // The member is busy with an earlier task (a slow publish, say) and its timer's check is queued behind it.
    const queued = await runInDurableObject(stub, (instance) => {
      const member = inside(instance).members.get(cid) as unknown as MemberInside | undefined;
      const state = member?.socketState();
      if (member === undefined || state === undefined) throw new Error("the charge point is not connected here");
      // Silent for 3 minutes by its state: the check is due and would close it (heartbeat 60 s, backoff 1).
      state.lastSeen = state.heartbeatSince = state.answeredAt = Date.now() - 180_000;
      const busy = new Promise<void>((resolve) => ((globalThis as { releaseMember?: () => void }).releaseMember = resolve));
      void member.run("busy", () => busy, undefined);
      void member.run("tick", () => member.tick(), undefined);
      return true;
    });
    expect(queued).toBe(true);
    // Then a frame arrives, and waits its turn behind the check.
    cp.send([2, "late-1", "Heartbeat", {}]);
    await new Promise((r) => setTimeout(r, 300));
    await runInDurableObject(stub, () => (globalThis as { releaseMember?: () => void }).releaseMember?.());
    expect((await csms.next(on(`ocpp/cp/${cid}`, "late-1"))).json()).toMatchObject({ Action: "Heartbeat" });
    expect(cp.closed).toBeUndefined();
    cp.close();
  });
});

describe("stored state from an earlier version", () => {
  it("a connection's stored configuration that lacks fields is completed (or replaced) before use", async () => {
    const cid = "timers-old-config";
    const cp = await booted(cid, 60);
    await runInDurableObject(stubOf(addressOf(cid)), (instance, state) => {
      const { sql } = state.storage;
      const { config_id: id } = sql.exec<{ config_id: number }>("SELECT config_id FROM sessions WHERE cid = ?", cid).one();
      const stored = JSON.parse(sql.exec<{ json: string }>("SELECT json FROM configs WHERE id = ?", id).one().json) as Record<string, unknown>;
      const { dnstream: _dnstream, max_frames_per_second: _rate, ...older } = stored;
      sql.exec("UPDATE configs SET json = ? WHERE id = ?", JSON.stringify(older), id);
      // As after a restart: the shard and the member read the stored configuration again.
      const shard = inside(instance);
      shard.configs.clear();
      shard.configIds.clear();
      const member = shard.members.get(cid);
      if (member === undefined) throw new Error("no member");
      member.conn = undefined;
      member.cached = undefined;
    });
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "old-1", Action: "Reset", Payload: { type: "Soft" } });
    expect(await cp.nextFrame()).toEqual([2, "old-1", "Reset", { type: "Soft" }]);
    cp.send([3, "old-1", { status: "Accepted" }]);
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "old-1"))).json()).toMatchObject({ Action: "Reset" });
    cp.close();
  });
});

describe("charge points the shard no longer holds", () => {
  it("one whose retention ended is forgotten: nothing of it is left in storage, and its filters are unsubscribed", async () => {
    const cid = "timers-forgotten";
    const cp = await booted(cid, 60);
    cp.close();
    await csms.next((m) => m.topic === `ocpp/events/${cid}` && m.json().event === "client.disconnected");
    await vi.waitFor(async () => expect(await storedFor(cid)).toMatchObject({ sessions: 1, filters: 2 }));
    // Its session expired long ago and it has been remembered for RETENTION_MS since it went.
    await runInDurableObject(stubOf(addressOf(cid)), (instance, state) => {
      const member = inside(instance).members.get(cid);
      if (member?.record === undefined) throw new Error("no member");
      const closedAt = Date.now() - RETENTION_MS - 1;
      const record: Record<string, unknown> = { ...member.record, closedAt };
      delete record.expiresAt;
      member.record = record;
      state.storage.sql.exec("UPDATE sessions SET closed_at = ?, expires_at = NULL WHERE cid = ?", closedAt, cid);
      member.schedule();
    });
    await vi.waitFor(async () => expect(await storedFor(cid)).toEqual({}), { timeout: 10_000 });
    expect(await runInDurableObject(stubOf(addressOf(cid)), (instance) => inside(instance).members.has(cid))).toBe(false);
    expect((await linkOf(addressOf(cid))).filters).not.toContain(`ocpp/cs/${cid}`);
  });

  it("a report left in the outbox by a broker outage, for a charge point it no longer holds, goes out after a restart; then nothing is left", async () => {
    const cid = "timers-outbox-only";
    const address = addressOf(cid);
    const report = JSON.stringify({ MessageTypeId: 4, UniqueId: "q-1", Action: "Reset", ErrorCode: "GenericError", ErrorDescription: "charge point is not connected", ErrorDetails: {}, Origin: "gateway", Reason: "not_connected" });
    // The state such an outage leaves: the report kept in the outbox, a retry due, no session, the watchdog armed.
    await stubOf(address).status(nameOf(address));
    await runInDurableObject(stubOf(address), async (_instance, state) => {
      state.storage.sql.exec(
        "INSERT INTO outbox (cid, topic, payload, retain, queued_at) VALUES (?, ?, ?, 0, ?)",
        cid,
        `ocpp/cp/${cid}/Reply`,
        report,
        Date.now() - 5_000,
      );
      state.storage.sql.exec("INSERT OR REPLACE INTO outbox_retry (cid, at, attempts) VALUES (?, ?, 1)", cid, Date.now() - 1);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    // A restart: the shard reads its storage again, on its watchdog alarm.
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(stubOf(address))).toBe(true);
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "q-1"), 10_000)).json()).toMatchObject({ Reason: "not_connected" });
    await vi.waitFor(async () => expect(await storedFor(cid)).toEqual({}));
    expect(await runInDurableObject(stubOf(address), (instance) => inside(instance).members.has(cid))).toBe(false);
  });
});

describe("a charge point that comes back speaking another OCPP version", () => {
  it("calls queued for its earlier version end with version_changed instead of reaching it", async () => {
    const cid = "timers-version";
    const v16 = await booted(cid, 60);
    const reset16 = (id: string) => ({ MessageTypeId: 2, UniqueId: id, Action: "Reset", Payload: { type: "Soft" } });
    await csms.publish(`ocpp/cs/${cid}`, reset16("v-1"));
    await csms.publish(`ocpp/cs/${cid}`, reset16("v-2"));
    expect((await v16.nextFrame())[1]).toBe("v-1");
    // v-2 waits in the queue behind the outstanding v-1 before the charge point goes.
    const address = addressOf(cid);
    for (let i = 0; ((await stubOf(address).client(nameOf(address), cid))?.mqueue_len ?? 0) < 1; i++) {
      if (i > 100) throw new Error("v-2 was never queued");
      await new Promise((r) => setTimeout(r, 20));
    }
    v16.close();
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "v-1"))).json()).toMatchObject({ Reason: "disconnected" });
    const v201 = await ChargePointSocket.open(cid, "ocpp2.0.1");
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "v-2"))).json()).toMatchObject({ Reason: "version_changed", Action: "Reset", Origin: "gateway" });
    await expect(v201.nextFrame(500)).rejects.toThrow(/no frame/);
    v201.close();
  });
});

