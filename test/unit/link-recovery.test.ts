import { describe, expect, it } from "vitest";
import { SessionRecovery, STALLED_RESUMES_BEFORE_DISCARD } from "../../src/link/recovery";

describe("SessionRecovery: when the broker link gives up its persistent session", () => {
  it("a message too big for the runtime: the next connection is clean and starts at once", () => {
    const r = new SessionRecovery();
    r.tooBig();
    expect(r.discardNext).toBe(true);
    expect(r.takeReconnectNow()).toBe(true);
    expect(r.takeReconnectNow()).toBe(false);
  });

  it(`${STALLED_RESUMES_BEFORE_DISCARD} stalled resumed sessions in a row decide for a clean session; a connection in between starts the count again`, () => {
    const r = new SessionRecovery();
    expect(r.stalled()).toBe(false);
    r.connected();
    expect(r.stalled()).toBe(false);
    expect(r.stalled()).toBe(false);
    expect(r.discardNext).toBe(false);
    expect(r.stalled()).toBe(true);
    expect(r.discardNext).toBe(true);
    expect(r.takeReconnectNow()).toBe(true);
  });

  it("once the clean session is up, the next connection is persistent again and starts at once", () => {
    const r = new SessionRecovery();
    r.tooBig();
    r.takeReconnectNow();
    r.discarded();
    expect(r.discardNext).toBe(false);
    expect(r.takeReconnectNow()).toBe(true);
  });
});
