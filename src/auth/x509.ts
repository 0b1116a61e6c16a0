/**
 * The few fields of an X.509 certificate (RFC 5280 §4.1) the gateway needs when a TLS-terminating proxy hands it
 * the client certificate itself (RFC 9440 `Client-Cert`): serial number, issuer and subject names, validity, and
 * the SHA-256 fingerprint. A strict DER reader for exactly that path through the structure — it checks nothing
 * cryptographic: the proxy verified the chain and says so in its verification header.
 */

export type NameAttributes = ReadonlyArray<readonly [string, string]>;

export interface CertificateFields {
  /** Upper-case hex of the serial number's bytes. */
  readonly serial: string;
  /** RFC 4514 order: most specific RDN first. */
  readonly subject: NameAttributes;
  readonly issuer: NameAttributes;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Lower-case hex SHA-256 of the DER encoding. */
  readonly fingerprintSha256: string;
}

/** Short names of RFC 4514 §3 and the ones certificates commonly carry (OpenSSL's names). */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "emailAddress",
};

class DerError extends Error {}

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new DerError("truncated");
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not used in certificates");
  let length = der[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > limit) throw new DerError("bad length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] as number);
    start += bytes;
  }
  const end = start + length;
  if (end > limit) throw new DerError("truncated");
  return { tag, start, end };
}

/** The children of a constructed value. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv?.tag !== tag) throw new DerError(`${what} expected`);
  return tlv;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function oid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

function text(tag: number, bytes: Uint8Array): string {
  switch (tag) {
    case 0x0c: // UTF8String
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString, read as Latin-1 as OpenSSL does
      return String.fromCharCode(...bytes);
    case 0x1e: {
      // BMPString: UTF-16BE code units
      let s = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
      return s;
    }
    default:
      return `#${hex(bytes)}`;
  }
}

function name(der: Uint8Array, tlv: Tlv): NameAttributes {
  const attributes: [string, string][] = [];
  for (const rdn of children(der, expect(tlv, 0x30, "Name"))) {
    for (const pair of children(der, expect(rdn, 0x31, "RelativeDistinguishedName"))) {
      const [type, value] = children(der, expect(pair, 0x30, "AttributeTypeAndValue"));
      const id = oid(der.subarray(expect(type, 0x06, "attribute type").start, type!.end));
      if (value === undefined) throw new DerError("attribute value expected");
      attributes.push([ATTRIBUTE_NAMES[id] ?? id, text(value.tag, der.subarray(value.start, value.end))]);
    }
  }
  // DER lists the least specific RDN first; RFC 4514 strings (and Cloudflare's DN fields) start with the most specific.
  return attributes.reverse();
}

function time(der: Uint8Array, tlv: Tlv | undefined): number {
  if (tlv === undefined || (tlv.tag !== 0x17 && tlv.tag !== 0x18)) throw new DerError("time expected");
  const s = String.fromCharCode(...der.subarray(tlv.start, tlv.end));
  // RFC 5280 §4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY < 50: 20YY), GeneralizedTime YYYYMMDDHHMMSSZ.
  const m = (tlv.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(s);
  if (m === null) throw new DerError("bad time");
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const year = tlv.tag === 0x17 ? ((y as number) < 50 ? 2000 : 1900) + (y as number) : (y as number);
  return Date.UTC(year, (mo as number) - 1, d, h, mi, se);
}

/** The fields of a DER-encoded certificate; undefined when it is not one. */
export async function certificateFields(der: Uint8Array): Promise<CertificateFields | undefined> {
  try {
    const cert = expect(readTlv(der, 0, der.length), 0x30, "Certificate");
    if (cert.end !== der.length) return undefined;
    const [tbs] = children(der, cert);
    const fields = children(der, expect(tbs, 0x30, "TBSCertificate"));
    if (fields[0]?.tag === 0xa0) fields.shift(); // [0] version
    const [serial, , issuer, validity, subject] = fields;
    const serialTlv = expect(serial, 0x02, "serial number");
    const [notBefore, notAfter] = children(der, expect(validity, 0x30, "Validity"));
    const digest = await crypto.subtle.digest("SHA-256", der);
    return {
      serial: hex(der.subarray(serialTlv.start, serialTlv.end)).toUpperCase(),
      issuer: name(der, expect(issuer, 0x30, "issuer")),
      subject: name(der, expect(subject, 0x30, "subject")),
      notBefore: time(der, notBefore),
      notAfter: time(der, notAfter),
      fingerprintSha256: hex(new Uint8Array(digest)),
    };
  } catch (error) {
    if (error instanceof DerError || error instanceof TypeError) return undefined;
    throw error;
  }
}

/** RFC 4514 §2.4 escaping of an attribute value. */
function escapeValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ")
    .replace(/\0/g, "\\00");
}

/** The RFC 4514 string of a name (multi-valued RDNs written as separate RDNs). */
export function formatName(attributes: NameAttributes): string {
  return attributes.map(([type, value]) => `${type}=${escapeValue(value)}`).join(",");
}

/**
 * Parses an RFC 4514 / RFC 2253 string (`CN=CP001,O=Fleet\, Inc.`), as Cloudflare gives `certSubjectDNRFC2253`:
 * `,` and `+` separate, `\` escapes a character or two hex digits, spaces around separators are dropped, a value in
 * double quotes (RFC 1779) is taken as written. Undefined when the string is not one.
 */
export function parseName(dn: string): NameAttributes | undefined {
  const out: [string, string][] = [];
  let i = 0;
  const skipSpaces = () => {
    while (dn[i] === " ") i++;
  };
  skipSpaces();
  if (i === dn.length) return [];
  while (i < dn.length) {
    skipSpaces();
    const eq = dn.indexOf("=", i);
    if (eq < 0) return undefined;
    const type = dn.slice(i, eq).trim();
    if (!/^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)*$/.test(type)) return undefined;
    i = eq + 1;
    skipSpaces();
    const bytes: number[] = [];
    const push = (s: string) => bytes.push(...new TextEncoder().encode(s));
    let trailing = 0;
    if (dn[i] === '"') {
      i++;
      while (i < dn.length && dn[i] !== '"') {
        if (dn[i] === "\\") i++;
        push(dn[i] ?? "");
        i++;
      }
      if (dn[i] !== '"') return undefined;
      i++;
      skipSpaces();
    } else {
      while (i < dn.length && dn[i] !== "," && dn[i] !== "+" && dn[i] !== ";") {
        if (dn[i] === "\\") {
          const pair = dn.slice(i + 1, i + 3);
          if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
            bytes.push(parseInt(pair, 16));
            i += 3;
          } else if (i + 1 < dn.length) {
            push(dn[i + 1] as string);
            i += 2;
          } else return undefined;
          trailing = 0;
          continue;
        }
        trailing = dn[i] === " " ? trailing + 1 : 0;
        push(dn[i] as string);
        i++;
      }
    }
    let value: string;
    try {
      value = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bytes.slice(0, bytes.length - trailing)));
    } catch {
      return undefined;
    }
    out.push([type, value]);
    if (i < dn.length) i++; // the separator
  }
  return out;
}
