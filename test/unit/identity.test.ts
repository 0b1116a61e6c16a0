// The id profile (README "Connect a charge point"): what a charge point id and a user id may contain.
import { describe, expect, it } from "vitest";
import { chargePointIdProblem, userIdProblem } from "../../src/ocpp/identity";

const HAN_4_BYTES = "\u{20000}"; // CJK Unified Ideographs Extension B: a letter of four UTF-8 bytes

describe("charge point id profile", () => {
  it.each([
    ["CP001"],
    ["CP 001"],
    ["RDAM|123"],
    ["a:b@c.d=e*f_g-h~i!j$k&l'm(n)o;p,q?r[s]t%u"],
    ["Straße-7"],
    ["CP-é-1"],
    ["東京ステーション1"],
    ["서울-충전기"],
    ["Москва-1"],
    ["Ελλάδα"],
    ["x".repeat(64)],
    [HAN_4_BYTES.repeat(64)],
  ])("accepts %j", (id) => {
    expect(chargePointIdProblem(id)).toBeUndefined();
  });

  it.each([
    ["", "clientid_cannot_be_empty", /empty/],
    ["x".repeat(65), "clientid_too_long", /64/],
    [HAN_4_BYTES.repeat(65), "clientid_too_long", /64/],
    ["a/b", "unsupported_clientid", /'\/'/],
    ["a+b", "unsupported_clientid", /'\+'/],
    ["a#b", "unsupported_clientid", /'#'/],
    ["a\u0001b", "unsupported_clientid", /control/],
    ["CP\u202E100", "unsupported_clientid", /U\+202E/], // right-to-left override
    ["CP\u2066100", "unsupported_clientid", /U\+2066/], // left-to-right isolate
    ["CP\u200B100", "unsupported_clientid", /U\+200B/], // zero-width space
    ["CP\u200D100", "unsupported_clientid", /U\+200D/], // zero-width joiner
    ["\uFEFFCP100", "unsupported_clientid", /U\+FEFF/], // byte order mark
    ["CP\u2028100", "unsupported_clientid", /U\+2028/], // line separator
    ["CP\u2029100", "unsupported_clientid", /U\+2029/], // paragraph separator
    ["CP\u3164100", "unsupported_clientid", /U\+3164/], // Hangul filler: an invisible "letter"
    ["CP\uFDD0", "unsupported_clientid", /U\+FDD0/], // non-character
    ["CP\uE000", "unsupported_clientid", /U\+E000/], // private use
    ["CP\u00A0100", "unsupported_clientid", /whitespace.*U\+00A0/], // no-break space
    ["CP\u3000100", "unsupported_clientid", /whitespace.*U\+3000/], // ideographic space
    [" ", "unsupported_clientid", /space/],
    [" CP100", "unsupported_clientid", /start or end with a space/],
    ["CP100 ", "unsupported_clientid", /start or end with a space/],
    ["CP  100", "unsupported_clientid", /two spaces/],
    ["CP\u0421100", "unsupported_clientid", /mix letters of different scripts/], // Latin C + Cyrillic С
    ["\u0421\u0420100", "unsupported_clientid", /Cyrillic or Greek letters that look like Latin/], // Cyrillic СР
    ["\u0391\u0392\u0395", "unsupported_clientid", /Cyrillic or Greek letters that look like Latin/], // Greek ΑΒΕ
    ["CP\uFF0F100", "unsupported_clientid", /compatibility characters/], // fullwidth solidus
    ["\uFF23\uFF30100", "unsupported_clientid", /compatibility characters/], // fullwidth ＣＰ
    ["CP\uFB01", "unsupported_clientid", /compatibility characters/], // ligature ﬁ
    ["CP-e\u0301", "unsupported_clientid", /NFC/], // decomposed é (its NFC twin is accepted above)
    ["CP\u2215100", "unsupported_clientid", /only letters and combining marks/], // division slash
    ["CP\u00B7", "unsupported_clientid", /only letters and combining marks/], // middle dot
    ["\u{1F600}".repeat(50), "unsupported_clientid", /only letters and combining marks/], // emoji
    ["\u0301CP", "unsupported_clientid", /combining mark that follows no letter/],
    ["CP\u{10300}", "unsupported_clientid", /historic or limited-use scripts/], // Old Italic
  ])("refuses %j (%s)", (id, reason, message) => {
    const problem = chargePointIdProblem(id);
    expect(problem?.reason).toBe(reason);
    expect(problem?.message).toMatch(message);
    expect(problem?.message).toMatch(/^charge point id /);
  });
});

describe("user id profile", () => {
  it.each([["CP001"], ["CP 001"], [HAN_4_BYTES.repeat(64)], ["Straße-7"]])("accepts %j", (id) => {
    expect(userIdProblem(id)).toBeUndefined();
  });

  it.each([
    ["CP:001", "unsupported_user_id", /':'/], // HTTP Basic cannot carry it
    ["", "user_id_cannot_be_empty", /empty/],
    ["x".repeat(65), "user_id_too_long", /64/],
    ["\u{1F600}".repeat(60), "unsupported_user_id", /only letters/],
    ["CP\u200B1", "unsupported_user_id", /U\+200B/],
  ])("refuses %j (%s)", (id, reason, message) => {
    const problem = userIdProblem(id);
    expect(problem?.reason).toBe(reason);
    expect(problem?.message).toMatch(message);
  });
});
