/**
 * Locates the raw text of top-level array elements and object members in a JSON document that JSON.parse has
 * already accepted. The relay forwards payloads as the exact bytes the sender wrote: re-serialising would turn
 * `1.0` into `1`, round large integers and reorder nothing useful.
 *
 * Precondition: `text` is valid JSON (callers run JSON.parse first). The scan is iterative, so deeply nested input
 * cannot overflow the stack.
 *
 * Also finds duplicate object keys, which JSON.parse hides (RFC 8259 §4: the names SHOULD be unique; parsers differ
 * on which duplicate they keep). Forwarding the sender's bytes means a check made on JSON.parse's last value could
 * be read differently by the receiver, so such a document must be refused rather than relayed.
 */

export interface Span {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string literal starting at `i` (which holds the opening quote). */
function skipString(text: string, i: number): number {
  i++;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i + 1;
    else i++;
  }
  return i;
}

/** Index just past the JSON value starting at `i`. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return skipString(text, i);
  if (first === OPEN_BRACKET || first === OPEN_BRACE) {
    let depth = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i = skipString(text, i);
        continue;
      }
      if (c === OPEN_BRACKET || c === OPEN_BRACE) depth++;
      else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  // number, true, false, null
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || isWhitespace(c)) break;
    i++;
  }
  return i;
}

/** Spans of the elements of a top-level JSON array, or undefined when the document is not an array. */
export function arrayElementSpans(text: string): Span[] | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACKET) return undefined;
  i = skipWhitespace(text, i + 1);
  const spans: Span[] = [];
  if (text.charCodeAt(i) === CLOSE_BRACKET) return spans;
  while (i < text.length) {
    const start = i;
    const end = skipValue(text, i);
    spans.push({ start, end });
    i = skipWhitespace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipWhitespace(text, i + 1);
  }
  return spans;
}

/**
 * Span of the LAST element of a top-level array whose element `index` is known to be the last one: skips the
 * elements before it (short values in OCPP frames) and does not scan the element itself, which ends at the
 * closing bracket.
 */
export function lastElementSpan(text: string, index: number): Span | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACKET) return undefined;
  i = skipWhitespace(text, i + 1);
  for (let k = 0; k < index; k++) {
    i = skipWhitespace(text, skipValue(text, i));
    if (text.charCodeAt(i) !== COMMA) return undefined;
    i = skipWhitespace(text, i + 1);
  }
  let end = text.lastIndexOf("]");
  if (end <= i) return undefined;
  while (end > i && isWhitespace(text.charCodeAt(end - 1))) end--;
  return { start: i, end };
}

/**
 * Spans of the values of a top-level JSON object's members, by key, or undefined when the document is not an
 * object. As with JSON.parse, the last of duplicate keys wins.
 */
export function objectMemberSpans(text: string): Map<string, Span> | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipWhitespace(text, i + 1);
  const members = new Map<string, Span>();
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) break;
    i = skipWhitespace(text, i + 1);
    const end = skipValue(text, i);
    members.set(key, { start: i, end });
    i = skipWhitespace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipWhitespace(text, i + 1);
  }
  return members;
}

/**
 * Number of object members in the document: in valid JSON a `:` outside a string separates a member's name from
 * its value and appears nowhere else.
 */
function memberCount(text: string): number {
  let n = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === COLON) {
      n++;
    }
  }
  return n;
}

/** Number of own keys of every object inside a JSON.parse result (iterative: nesting depth is the sender's). */
function keyCount(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (const e of v) if (typeof e === "object" && e !== null) stack.push(e);
      continue;
    }
    const record = v as Record<string, unknown>;
    for (const key in record) {
      n++;
      const e = record[key];
      if (typeof e === "object" && e !== null) stack.push(e);
    }
  }
  return n;
}

/**
 * True when an object anywhere in `text` repeats a key. `value` is `JSON.parse(text)`: every duplicate collapses two
 * members into one key, so the counts differ exactly when there is one. Two linear passes and no allocation per
 * key: this runs on every frame.
 */
export function hasDuplicateKeys(text: string, value: unknown): boolean {
  return memberCount(text) !== keyCount(value);
}

interface Container {
  /** Keys seen so far (objects only). */
  readonly keys?: Set<string>;
  /**
   * This container's token in its parent (undefined for the root). The pointer is joined from the tokens on the
   * stack only when a duplicate is found: building it per container would cost depth² for deeply nested input.
   */
  readonly token?: string;
  index: number;
  expectKey: boolean;
  lastKey: string;
}

function pointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * JSON Pointer (RFC 6901) of the first repeated key in `text`, or undefined when there is none. Slower than
 * hasDuplicateKeys (a set per object): used to name the key once a document is known to have one.
 */
export function firstDuplicateKey(text: string): string | undefined {
  const stack: Container[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (top?.keys !== undefined && top.expectKey) {
        const raw = text.slice(i + 1, end - 1);
        const key = raw.includes("\\") ? (JSON.parse(text.slice(i, end)) as string) : raw;
        if (top.keys.has(key)) return `${stack.map((c) => (c.token === undefined ? "" : `/${c.token}`)).join("")}/${pointerToken(key)}`;
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const token = top === undefined ? undefined : top.keys === undefined ? String(top.index) : pointerToken(top.lastKey);
      stack.push({ ...(c === OPEN_BRACE ? { keys: new Set<string>() } : {}), ...(token === undefined ? {} : { token }), index: 0, expectKey: c === OPEN_BRACE, lastKey: "" });
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
    } else if (c === COMMA && top !== undefined) {
      if (top.keys === undefined) top.index++;
      else top.expectKey = true;
    }
  }
  return undefined;
}

/**
 * Longest document whose duplicate key is located for the error message. Locating allocates per nested container
 * (≈3 µs a level), so a large, deeply nested frame could make every refusal cost tens of ms; past this size the
 * refusal just does not say where.
 */
const LOCATE_LIMIT = 8 * 1024;

/** Words for a refusal: " at <pointer>" when the document is small enough to locate the key, else "". */
export function duplicateKeyWhere(text: string): string {
  if (text.length > LOCATE_LIMIT) return "";
  const at = firstDuplicateKey(text);
  return at === undefined ? "" : ` at ${at}`;
}

export function sliceSpan(text: string, span: Span): string {
  return text.slice(span.start, span.end);
}
