import { describe, expect, it } from "vitest";
import { arrayElementSpans, duplicateKeyWhere, firstDuplicateKey, hasDuplicateKeys, objectMemberSpans, sliceSpan } from "../../src/ocpp/json-scan";

const elements = (text: string) => arrayElementSpans(text)?.map((s) => sliceSpan(text, s));

describe("arrayElementSpans", () => {
  it.each([
    ['[2,"a","Heartbeat",{}]', ["2", '"a"', '"Heartbeat"', "{}"]],
    [' [ 3 , "x" , { "a" : [1, {"b": "]"}] } ] ', ["3", '"x"', '{ "a" : [1, {"b": "]"}] }']],
    ['[2,"q\\"]",{"s":"\\\\"},null]', ["2", '"q\\"]"', '{"s":"\\\\"}', "null"]],
    ["[1.0,-2e5,true,false]", ["1.0", "-2e5", "true", "false"]],
    ["[]", []],
  ])("splits %s into its raw elements", (text, expected) => {
    expect(elements(text)).toEqual(expected);
  });

  it("keeps number spelling that JSON.parse would lose", () => {
    const text = '[3,"id",{"v":1.50,"big":123456789012345678901234567890}]';
    expect(elements(text)?.[2]).toBe('{"v":1.50,"big":123456789012345678901234567890}');
  });

  it("returns undefined for a non-array document", () => {
    expect(arrayElementSpans('{"a":1}')).toBeUndefined();
    expect(arrayElementSpans("42")).toBeUndefined();
  });

  it("handles 100,000 levels of nesting without recursion", () => {
    const deep = `[2,"id","A",${"[".repeat(100_000)}${"]".repeat(100_000)}]`;
    const spans = arrayElementSpans(deep);
    expect(spans).toHaveLength(4);
    expect(spans?.[3]?.end).toBe(deep.length - 1);
  });
});

describe("objectMemberSpans", () => {
  it("maps keys to raw values, last duplicate winning", () => {
    const text = '{"UniqueId":"1","Payload": {"x": [1,2]} ,"k\\u0041":3,"UniqueId":"2"}';
    const spans = objectMemberSpans(text);
    expect(spans && Object.fromEntries([...spans].map(([k, s]) => [k, sliceSpan(text, s)]))).toEqual({
      UniqueId: '"2"',
      Payload: '{"x": [1,2]}',
      kA: "3",
    });
  });

  it("returns undefined for a non-object document", () => {
    expect(objectMemberSpans("[1]")).toBeUndefined();
  });
});

describe("duplicate keys", () => {
  it.each([
    ['{"a":1,"b":2}', undefined],
    ['{"a":1,"a":2}', "/a"],
    ['{"a":{"b":1},"c":{"b":2}}', undefined],
    ['{"a":{"b":1,"b":2}}', "/a/b"],
    ['[1,{"x":[{"y":0},{"y":1,"y":2}]}]', "/1/x/1/y"],
    ['{"k\\u0041":1,"kA":2}', "/kA"],
    ['{"a/b":1,"a/b":2}', "/a~1b"],
    ['{"a~":1,"a~":2}', "/a~0"],
    ['{"s":"a:b,\\"c\\":{","s2":"}"}', undefined],
    ['{"__proto__":1,"__proto__":2}', "/__proto__"],
    ['{ "a" : 1 , "b" : [ "a" , "a" ] , "c" : { } }', undefined],
    ['"a:b"', undefined],
    ["[]", undefined],
  ])("%s → %s", (text, pointer) => {
    expect(firstDuplicateKey(text)).toBe(pointer);
    expect(hasDuplicateKeys(text, JSON.parse(text))).toBe(pointer !== undefined);
  });

  it("handles 100,000 levels of nesting without recursion", () => {
    const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    expect(hasDuplicateKeys(deep, JSON.parse(deep))).toBe(false);
    expect(firstDuplicateKey(deep)).toBeUndefined();
  });
});

describe("duplicateKeyWhere", () => {
  it("names the key in a small document, and stays silent (cheap) in a large one", () => {
    expect(duplicateKeyWhere('{"a":1,"a":2}')).toBe(" at /a");
    const deep = `${'{"a":'.repeat(4000)}1${"}".repeat(4000)}`;
    expect(duplicateKeyWhere(`[2,"x","DataTransfer",{"z":${deep},"z":1}]`)).toBe("");
  });
});
