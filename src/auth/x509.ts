/**
 * The few fields of an X.509 certificate (RFC 5280 §4.1) the gateway needs when a TLS-terminating proxy hands it
 * the client certificate itself (RFC 9440 `Client-Cert`): serial number, issuer and subject names, validity, and
 * the SHA-256 fingerprint, read with @peculiar/asn1-x509 — nothing cryptographic is checked: the proxy verified the
 * chain and says so in its verification header. Also RFC 4514 strings of names, both ways.
 */
import { AsnParser } from "@peculiar/asn1-schema";
import { Certificate, type Name } from "@peculiar/asn1-x509";
import { fromBER } from "asn1js";

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

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function attributes(name: Name): NameAttributes {
  const out: [string, string][] = [];
  for (const rdn of name) {
    for (const { type, value } of rdn) out.push([ATTRIBUTE_NAMES[type] ?? type, value.anyValue === undefined ? value.toString() : `#${hex(new Uint8Array(value.anyValue))}`]);
  }
  // DER lists the least specific RDN first; RFC 4514 strings (and Cloudflare's DN fields) start with the most specific.
  return out.reverse();
}

/**
 * The fields of a DER-encoded certificate; undefined when it is not one (or has bytes after it). The DER is read by
 * asn1js with the RFC 5280 schema of @peculiar/asn1-x509 (which takes UTCTime years below 50 as 20YY, §4.1.2.5.1).
 */
export async function certificateFields(der: Uint8Array): Promise<CertificateFields | undefined> {
  let tbs: Certificate["tbsCertificate"];
  try {
    const { offset, result } = fromBER(der);
    if (offset !== der.byteLength) return undefined;
    tbs = AsnParser.fromASN(result, Certificate).tbsCertificate;
  } catch {
    return undefined;
  }
  const digest = await crypto.subtle.digest("SHA-256", der);
  return {
    serial: hex(new Uint8Array(tbs.serialNumber)).toUpperCase(),
    issuer: attributes(tbs.issuer),
    subject: attributes(tbs.subject),
    notBefore: tbs.validity.notBefore.getTime().getTime(),
    notAfter: tbs.validity.notAfter.getTime().getTime(),
    fingerprintSha256: hex(new Uint8Array(digest)),
  };
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
