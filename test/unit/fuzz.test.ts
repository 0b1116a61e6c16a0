// Property-based tests: for any input the parsers return a value or a typed error and never throw, payload bytes
// survive exactly, and no topic escapes the charge point's own namespace.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeDownstream } from "../../src/mqtt/envelope";
import { cidFromDownstreamTopic, renderTopic, TopicError } from "../../src/mqtt/topics";
import { parseFrame } from "../../src/ocpp/frame";
import { firstDuplicateKey, hasDuplicateKeys } from "../../src/ocpp/json-scan";
import { chargePointIdProblem } from "../../src/ocpp/identity";
import { ErrorKind, OCPP16 } from "../../src/ocpp/protocol";
import { config, fakeRelay } from "./support/fake-relay";

const RUNS = { numRuns: 2_000 };
const KINDS = new Set(Object.values(ErrorKind));
const ws = fc.constantFrom("", " ", "\n", "\t ", "\r\n  ");
/** JSON objects (fc.object() can hold undefined, which JSON cannot). */
const jsonObject = fc.dictionary(fc.string(), fc.jsonValue());

/** Frames that look like OCPP-J: right shape most of the time, with arbitrary parts and whitespace. */
const frameLike = fc
  .tuple(
    fc.oneof(fc.constantFrom(2, 3, 4), fc.integer(), fc.double(), fc.string(), fc.constant(null)),
    fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null)),
    fc.oneof(fc.constantFrom("BootNotification", "Heartbeat", "DataTransfer", "StatusNotification"), fc.string(), fc.integer()),
    fc.oneof(fc.object(), fc.jsonValue()),
    fc.array(fc.jsonValue(), { maxLength: 2 }),
    ws,
    ws,
  )
  .map(([type, id, action, payload, extra, a, b]) => {
    const parts = [type, id, action, payload, ...extra].map((p) => JSON.stringify(p) ?? "null");
    return `${a}[${a}${parts.join(`${b},${a}`)}${b}]${a}`;
  });

describe("parseFrame", () => {
  it("never throws on any string, and every failure is a known error kind", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), frameLike, fc.json()), (text) => {
        const r = parseFrame(text, OCPP16);
        if (!r.ok) {
          expect(KINDS.has(r.error.kind)).toBe(true);
          expect(typeof r.error.message).toBe("string");
        }
      }),
      RUNS,
    );
  });

  it("forwards the payload's exact bytes, whatever the whitespace around the elements", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 36 }), jsonObject, ws, ws, (id, payload, a, b) => {
        const payloadText = JSON.stringify(payload, null, a.length);
        const text = `${a}[2,${a}${JSON.stringify(id)}${b},"DataTransfer",${b}${payloadText}${a}]${b}`;
        const r = parseFrame(text, OCPP16);
        expect(r.ok && r.frame.type === 2 && r.frame.payloadText).toBe(payloadText);
      }),
      RUNS,
    );
  });

  it("deep nesting and huge numbers are values, not exceptions", () => {
    const deep = `[2,"d","DataTransfer",{"vendorId":"v","data":${"[".repeat(50_000)}${"]".repeat(50_000)}}]`;
    const r = parseFrame(deep, OCPP16);
    expect(r.ok).toBe(true);
    expect(parseFrame('[2,"n","MeterValues",{"connectorId":1e400,"meterValue":[]}]', OCPP16).ok).toBe(true);
    expect(parseFrame(`[${"9".repeat(5000)},"x"]`, OCPP16).ok).toBe(false);
  });
});

describe("decodeDownstream", () => {
  const envelopeLike = fc
    .record({
      MessageTypeId: fc.oneof(fc.constantFrom(2, 3, 4), fc.jsonValue()),
      UniqueId: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue()),
      Action: fc.oneof(fc.constantFrom("Reset", "ClearCache"), fc.string(), fc.jsonValue()),
      Payload: fc.oneof(fc.object(), fc.jsonValue()),
      ErrorCode: fc.oneof(fc.constant("GenericError"), fc.jsonValue()),
      ErrorDescription: fc.oneof(fc.string(), fc.jsonValue()),
      ErrorDetails: fc.oneof(fc.object(), fc.jsonValue()),
    }, { requiredKeys: [] })
    .map((o) => JSON.stringify(o));

  it("never throws on any string, and keeps payload bytes when it accepts", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), envelopeLike), (text) => {
        const r = decodeDownstream(text, OCPP16);
        if (!r.ok) {
          expect(KINDS.has(r.error.kind)).toBe(true);
          return;
        }
        const m = r.message;
        if ("payloadText" in m) expect(JSON.parse(m.payloadText)).toEqual(m.payload);
        else expect(typeof JSON.parse(m.errorDetailsText)).toBe("object");
      }),
      RUNS,
    );
  });
});

describe("topics", () => {
  const templates = fc.constantFrom("cp/${cid}", "cp/${clientid}/Reply", "cp/${cid}/Notify/${action}", "x/${action}/${cid}/y");

  it("for any id and action: a typed refusal, or exactly the template's levels with the id in its own level", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), templates, fc.constantFrom("ocpp/", "", "tenant/a/"), (cid, action, template, mountpoint) => {
        let topic: string;
        try {
          topic = renderTopic(mountpoint, template, { cid, action });
        } catch (e) {
          expect(e).toBeInstanceOf(TopicError);
          return;
        }
        const expected = (mountpoint + template).split("/");
        const levels = topic.split("/");
        expect(levels).toHaveLength(expected.length);
        for (const [i, level] of expected.entries()) {
          if (level === "${cid}" || level === "${clientid}") expect(levels[i]).toBe(cid);
          else if (level === "${action}") expect(levels[i]).toBe(action);
          else expect(levels[i]).toBe(level);
        }
        expect(topic).not.toMatch(/[+#\u0000]/);
      }),
      RUNS,
    );
  });

  it("every valid charge point id renders and routes back to itself, never to another id", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1, maxLength: 64 }), (a, b) => {
        fc.pre(chargePointIdProblem(a) === undefined && chargePointIdProblem(b) === undefined && a !== b);
        const topicA = renderTopic("ocpp/", "cs/${cid}", { cid: a });
        expect(cidFromDownstreamTopic("ocpp/", "cs/${cid}", topicA)).toBe(a);
        expect(cidFromDownstreamTopic("ocpp/", "cs/${cid}", renderTopic("ocpp/", "cs/${cid}", { cid: b }))).not.toBe(a);
      }),
      RUNS,
    );
  });
});

describe("the relay on arbitrary input", () => {
  it("never throws, whatever the charge point or the CSMS sends", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.string(), frameLike, fc.json())), { maxLength: 20 }), async (messages) => {
        const t = fakeRelay({ config: config({ max_bad_frames: 1000 }) });
        for (const [fromChargePoint, text] of messages) {
          if (fromChargePoint) await t.relay.fromChargePoint(text);
          else await t.relay.fromCsms(text);
        }
        for (const p of t.published) expect(p.topic.startsWith("ocpp/")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("duplicate keys", () => {
  type Tree = { leaf: string } | { array: Tree[] } | { object: [string, Tree][] };
  /** Raw JSON string contents: several spellings of the same names, and strings full of JSON punctuation. */
  const rawKey = fc.constantFrom("a", "b", "type", "t\\u0079pe", "x:y", 'q\\"', "{", "a/b");
  const leaf = fc.constantFrom("1", "-2.5e3", "true", "null", '"a:b"', '"}]"', '"\\\\"', '"{\\"k\\":1}"');
  const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf.map((l) => ({ leaf: l })),
      fc.array(tie("tree"), { maxLength: 4 }).map((array) => ({ array })),
      fc.array(fc.tuple(rawKey, tie("tree")), { maxLength: 4 }).map((object) => ({ object })),
    ),
  }));
  const text = (t: Tree, sp: string): string =>
    "leaf" in t
      ? t.leaf
      : "array" in t
        ? `[${sp}${t.array.map((e) => text(e, sp)).join(`,${sp}`)}]`
        : `{${sp}${t.object.map(([k, v]) => `"${k}"${sp}:${sp}${text(v, sp)}`).join(`${sp},`)}}`;
  const hasDuplicate = (t: Tree): boolean => {
    if ("leaf" in t) return false;
    if ("array" in t) return t.array.some(hasDuplicate);
    const names = t.object.map(([k]) => JSON.parse(`"${k}"`) as string);
    return new Set(names).size !== names.length || t.object.some(([, v]) => hasDuplicate(v));
  };

  it("the fast check and the locating scan agree with the document's structure", () => {
    fc.assert(
      fc.property(tree, ws, (t, sp) => {
        const doc = text(t, sp);
        const expected = hasDuplicate(t);
        expect(hasDuplicateKeys(doc, JSON.parse(doc))).toBe(expected);
        expect(firstDuplicateKey(doc) !== undefined).toBe(expected);
      }),
      RUNS,
    );
  });
});
