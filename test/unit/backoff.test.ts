import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/mqtt/backoff";

describe("backoffDelay (the broker link's reconnect delay)", () => {
  it("doubles from 0.5 s, with jitter in the upper half of each step", () => {
    expect([0, 1, 2].map((n) => backoffDelay(n, undefined, 0))).toEqual([250, 500, 1000]);
    expect([0, 1, 2].map((n) => backoffDelay(n, undefined, 0.999))).toEqual([500, 1000, 1999]);
  });

  it("never waits more than 2 s, however long the broker has been away, so the link is back within about 2 s of its return", () => {
    for (const attempt of [2, 3, 5, 10, 100, 10_000]) {
      expect(backoffDelay(attempt, undefined, 0.999)).toBeLessThanOrEqual(2000);
      expect(backoffDelay(attempt, undefined, 0)).toBeGreaterThanOrEqual(1000);
    }
  });
});
