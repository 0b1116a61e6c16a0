/**
 * Locates the raw text of top-level array elements and object members in a JSON document that JSON.parse has
 * already accepted. The relay forwards payloads as the exact bytes the sender wrote: re-serialising would turn
 * `1.0` into `1`, round large integers and reorder nothing useful.
 *
 * Precondition: `text` is valid JSON (callers run JSON.parse first). The scan is iterative, so deeply nested input
 * cannot overflow the stack.
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

export function sliceSpan(text: string, span: Span): string {
  return text.slice(span.start, span.end);
}
