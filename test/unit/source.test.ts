// The source address of a request (CF-Connecting-IP): kept only when it is an address; failures counted per
// IPv4 address or IPv6 /64.
import { describe, expect, it } from "vitest";
import { sourceOf } from "../../src/auth/source";

describe("sourceOf", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1", "4:192.0.2.1"],
    [" 192.0.2.1 ", "192.0.2.1", "4:192.0.2.1"],
    ["2001:db8::1", "2001:db8::1", "6:2001:db8:0:0::/64"],
    ["2001:db8:0:0:ffff:1:2:3", "2001:db8:0:0:ffff:1:2:3", "6:2001:db8:0:0::/64"],
    ["2001:DB8:a:b::9", "2001:DB8:a:b::9", "6:2001:db8:a:b::/64"],
    ["::1", "::1", "6:0:0:0:0::/64"],
    ["::ffff:192.0.2.7", "::ffff:192.0.2.7", "4:192.0.2.7"],
  ])("%j → ip %j, counted as %s", (header, ip, key) => {
    expect(sourceOf(header)).toEqual({ ip, key });
  });

  it("two addresses in one IPv6 /64 count as one source", () => {
    expect(sourceOf("2001:db8:1:2::a").key).toBe(sourceOf("2001:db8:1:2:ffff:ffff:ffff:ffff").key);
    expect(sourceOf("2001:db8:1:2::a").key).not.toBe(sourceOf("2001:db8:1:3::a").key);
  });

  it.each([
    [null],
    [""],
    ["not-an-ip"],
    ["256.1.1.1"],
    ["01.2.3.4"],
    ["1.2.3"],
    ["1.2.3.4, 5.6.7.8"],
    ["2001:db8::1::2"],
    ["2001:db8:0:0:0:0:0:0:1"],
    ["fe80::1%eth0"],
    ["12345::"],
    ["x".repeat(10_000)],
    ["1.2.3.4\r\nX-Injected: 1"],
  ])("%j is not an address: nothing kept, counted under 'none'", (header) => {
    expect(sourceOf(header)).toEqual({ key: "none" });
  });
});
