/**
 * Charge point and user id profile. A charge point id becomes an MQTT topic level, a Durable Object name, a
 * registry row and (with `user_id_type: username`) the HTTP Basic user name, and people read it in lists and logs.
 * So two ids that render alike must not both be possible, and nothing invisible may hide in one.
 *
 * The profile follows the PRECIS IdentifierClass (RFC 8264 §4.2, as profiled for user names by RFC 8265 §3.3):
 * - printable ASCII (U+0021–U+007E) except `/`, `+`, `#` (MQTT topic separator and wildcards; EMQX refuses them
 *   too), and single ASCII spaces between other characters (kept for ids such as `CP 001`; RFC 8264 refuses
 *   spaces in identifiers, we only refuse the ambiguous ones: leading, trailing, doubled);
 * - beyond ASCII only letters (L) and combining marks (M) of the scripts UTS #31 Table 4 recommends for
 *   identifiers, all of one script (Latin may go with Han, Hiragana, Katakana, Hangul, Bopomofo: UTS #39 §5.2
 *   "highly restrictive"), so a Cyrillic `С` cannot stand in for a Latin `C` inside an id;
 * - no control, format (bidi overrides, zero-width characters, BOM), separator, private-use, unassigned,
 *   non-character or default-ignorable code points, no other whitespace (no-break space, U+2028/U+2029);
 * - unchanged by Unicode NFKC (so in NFC, and without fullwidth forms such as `／`, ligatures or superscripts):
 *   ids are compared exactly as sent, and an NFC/NFD pair or a fullwidth twin cannot both exist;
 * - 1 to 64 code points (OCPP 1.6 security whitepaper and 2.0.1: identity at most 48 characters).
 *
 * - not a whole-script look-alike of a Latin id: an id whose letters are all Cyrillic or Greek letters that look
 *   like Latin ones (`СР001` in Cyrillic) is refused (UTS #39 §4 "whole-script confusables", reduced to the
 *   Cyrillic and Greek capitals and small letters that are drawn like ASCII letters).
 */

export const MAX_CHARGE_POINT_ID_LENGTH = 64;

export interface IdProblem {
  readonly reason: string;
  readonly message: string;
}

/** UTS #31 Table 4 (recommended scripts), as Script_Extensions property escapes. */
const SCRIPTS: Readonly<Record<string, RegExp>> = {
  Latin: /\p{scx=Latin}/u,
  Greek: /\p{scx=Greek}/u,
  Cyrillic: /\p{scx=Cyrillic}/u,
  Armenian: /\p{scx=Armenian}/u,
  Hebrew: /\p{scx=Hebrew}/u,
  Arabic: /\p{scx=Arabic}/u,
  Thaana: /\p{scx=Thaana}/u,
  Devanagari: /\p{scx=Devanagari}/u,
  Bengali: /\p{scx=Bengali}/u,
  Gurmukhi: /\p{scx=Gurmukhi}/u,
  Gujarati: /\p{scx=Gujarati}/u,
  Oriya: /\p{scx=Oriya}/u,
  Tamil: /\p{scx=Tamil}/u,
  Telugu: /\p{scx=Telugu}/u,
  Kannada: /\p{scx=Kannada}/u,
  Malayalam: /\p{scx=Malayalam}/u,
  Sinhala: /\p{scx=Sinhala}/u,
  Thai: /\p{scx=Thai}/u,
  Lao: /\p{scx=Lao}/u,
  Tibetan: /\p{scx=Tibetan}/u,
  Myanmar: /\p{scx=Myanmar}/u,
  Georgian: /\p{scx=Georgian}/u,
  Hangul: /\p{scx=Hangul}/u,
  Ethiopic: /\p{scx=Ethiopic}/u,
  Khmer: /\p{scx=Khmer}/u,
  Han: /\p{scx=Han}/u,
  Hiragana: /\p{scx=Hiragana}/u,
  Katakana: /\p{scx=Katakana}/u,
  Bopomofo: /\p{scx=Bopomofo}/u,
};

/** Sets of scripts an id may mix (UTS #39 §5.2 "highly restrictive"); any single script is also allowed. */
const SCRIPT_FAMILIES: readonly (readonly string[])[] = [
  ...Object.keys(SCRIPTS).map((s) => [s]),
  ["Latin", "Han", "Hiragana", "Katakana"],
  ["Latin", "Han", "Hangul"],
  ["Latin", "Han", "Bopomofo"],
];

/** Cyrillic and Greek letters drawn like an ASCII letter (UTS #39 confusables with a single-letter Latin prototype). */
const LATIN_LOOKALIKES = new Set(
  [
    "АВЕКМНОРСТУХЅІЈ", // Cyrillic capitals: A B E K M H O P C T Y X S I J
    "аеорсухѕіјһԁԛԝӏ", // Cyrillic small: a e o p c y x s i j h d q w l
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", // Greek capitals: A B E Z H I K M N O P T Y X
    "οι", // Greek small: o i
  ].join(""),
);
const CYRILLIC_OR_GREEK = /^[\p{sc=Cyrillic}\p{sc=Greek}]$/u;

/** Characters that are never part of an id, whatever else holds (checked before normalization). */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}\p{Default_Ignorable_Code_Point}]/u;
const OTHER_SPACE = /(?! )[\s\p{Zs}]/u;
const ASCII_PRINTABLE = /^[\x21-\x7e]$/;
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
const MARK = /^\p{M}$/u;
const INHERITED = /^\p{sc=Inherited}$/u;

function hex(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The listed scripts a letter or mark belongs to; undefined for a mark that takes its base's script. */
function scriptsOf(ch: string): string[] | undefined {
  const scripts = Object.keys(SCRIPTS).filter((s) => SCRIPTS[s]?.test(ch));
  if (scripts.length === 0 && INHERITED.test(ch)) return undefined;
  return scripts;
}

function profileProblem(id: string, noun: string, maxLength: number): IdProblem | undefined {
  const unsupported = (why: string): IdProblem => ({ reason: "unsupported_clientid", message: `${noun} ${why}` });
  if (id.length === 0) return { reason: "clientid_cannot_be_empty", message: `${noun} is empty` };
  const chars = [...id];
  if (chars.length > maxLength) return { reason: "clientid_too_long", message: `${noun} is longer than ${maxLength} characters` };
  const invisible = INVISIBLE.exec(id);
  if (invisible !== null) {
    return unsupported(`must not contain control, format, invisible or unassigned characters (${hex(invisible[0])})`);
  }
  const space = OTHER_SPACE.exec(id);
  if (space !== null) return unsupported(`must not contain whitespace other than the ASCII space (${hex(space[0])})`);
  if (id.startsWith(" ") || id.endsWith(" ") || id.includes("  ")) {
    return unsupported("must not start or end with a space or contain two spaces in a row");
  }
  if (id.normalize("NFC") !== id) return unsupported("must be in Unicode normalization form NFC");
  if (id.normalize("NFKC") !== id) {
    return unsupported("must not contain compatibility characters (fullwidth forms, ligatures, superscripts; Unicode NFKC)");
  }
  const constraints: string[][] = [];
  for (const [i, ch] of chars.entries()) {
    if (ch === " " || ASCII_PRINTABLE.test(ch)) {
      if (/[A-Za-z]/.test(ch)) constraints.push(["Latin"]);
      continue;
    }
    if (!LETTER_OR_MARK.test(ch)) {
      return unsupported(`may contain beyond ASCII only letters and combining marks (${hex(ch)} is neither)`);
    }
    if (MARK.test(ch) && (i === 0 || chars[i - 1] === " " || !LETTER_OR_MARK.test(chars[i - 1] ?? ""))) {
      return unsupported(`must not contain a combining mark that follows no letter (${hex(ch)})`);
    }
    const scripts = scriptsOf(ch);
    if (scripts === undefined) continue;
    if (scripts.length === 0) return unsupported(`must not contain letters of historic or limited-use scripts (${hex(ch)})`);
    constraints.push(scripts);
  }
  const oneFamily = SCRIPT_FAMILIES.some((family) => constraints.every((scripts) => scripts.some((s) => family.includes(s))));
  if (!oneFamily) return unsupported("must not mix letters of different scripts (e.g. Latin and Cyrillic)");
  const letters = chars.filter((ch) => LETTER_OR_MARK.test(ch));
  if (letters.length > 0 && letters.every((ch) => CYRILLIC_OR_GREEK.test(ch) && LATIN_LOOKALIKES.has(ch))) {
    return unsupported("must not be written only in Cyrillic or Greek letters that look like Latin ones");
  }
  return undefined;
}

/** Why `id` cannot be a charge point id (EMQX-style reason token and words), or undefined when it can. */
export function chargePointIdProblem(id: string): IdProblem | undefined {
  if (/[/+#]/.test(id)) {
    return { reason: "unsupported_clientid", message: "charge point id must not contain '/', '+' or '#'" };
  }
  return profileProblem(id, "charge point id", MAX_CHARGE_POINT_ID_LENGTH);
}

export function isChargePointId(id: string): boolean {
  return chargePointIdProblem(id) === undefined;
}

/**
 * Why `id` cannot be a user id of the authenticator, or undefined when it can. A user id follows the charge point
 * id profile (with `user_id_type: username` it is the charge point's identity) and has no `:`, which HTTP Basic
 * cannot carry in a user name (RFC 7617 §2; OCPP 2.0.1 forbids it in the identity for this reason).
 */
export function userIdProblem(id: string): IdProblem | undefined {
  if (/[/+#:]/.test(id)) return { reason: "unsupported_user_id", message: "user id must not contain ':', '/', '+' or '#'" };
  const problem = profileProblem(id, "user id", MAX_CHARGE_POINT_ID_LENGTH);
  return problem === undefined ? undefined : { reason: problem.reason.replace("clientid", "user_id"), message: problem.message };
}
