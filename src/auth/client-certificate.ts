/**
 * A charge point's TLS client certificate (OCPP security profile 3: the OCPP 1.6 security whitepaper and OCPP 2.0.1
 * Part 2, A00 Security), as the TLS terminator reports it, and the checks OCPP asks of the CSMS.
 *
 * Where it comes from (`client_certificate.source`):
 * - `cloudflare`: Cloudflare's edge terminates mutual TLS for the hostname and puts its result in
 *   `request.cf.tlsClientAuth` (`certPresented`, `certVerified`, `certRevoked`, DNs, serial, fingerprint, dates).
 *   A client cannot set `request.cf`.
 * - `header`: a TLS-terminating proxy (the start script's TLS front, nginx, HAProxy, Envoy) passes the certificate
 *   in a header (RFC 9440 `Client-Cert`: `:base64 DER:`; or URL-encoded PEM, nginx's `$ssl_client_escaped_cert`)
 *   and its verification result in another (`SUCCESS`, `NONE`, `FAILED:reason`: nginx's `$ssl_client_verify`).
 *   Headers can be sent by anyone who reaches the Worker, so they count only when the request also carries the
 *   operator's secret (CLIENT_CERT_PROXY_SECRET) in `Client-Cert-Proxy-Secret`: a proxy that strips incoming copies
 *   and sets its own is the only sender that knows it. Without the secret the headers are ignored.
 */
import type { ClientCertificateConfig } from "../config/gateway-config";
import { secretsEqual } from "./credentials";
import { certificateFields, formatName, parseName, type NameAttributes } from "./x509";

export const PROXY_SECRET_HEADER = "Client-Cert-Proxy-Secret";
/** Shorter proxy secrets are refused: the secret is all that tells a proxy's headers from a client's. */
export const MIN_PROXY_SECRET_LENGTH = 32;
/** Longest certificate header read (a certificate with a long chain of extensions is a few KiB). */
const MAX_CERT_HEADER = 16 * 1024;
/** DNs kept with a connection and shown are cut to this many characters. */
const MAX_DN_SHOWN = 256;

/** A presented certificate as its TLS terminator reports it. */
export interface PresentedCertificate {
  /** `SUCCESS`, or `FAILED:<reason>` (the terminator's words). */
  readonly verified: string;
  readonly revoked: boolean;
  readonly subject: NameAttributes;
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly serial: string;
  readonly fingerprintSha256: string;
  /** Epoch ms; undefined when the terminator's date could not be read (its verification covers the dates). */
  readonly notBefore?: number;
  readonly notAfter?: number;
}

/** What a connection keeps of the certificate it authenticated with (clients API, `client.connected`). */
export interface CertificateIdentity {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly fingerprint_sha256: string;
}

export type CertificateSource =
  | { readonly kind: "none" }
  | { readonly kind: "presented"; readonly certificate: PresentedCertificate }
  /** The source cannot be used (header source without a usable secret): fail closed. */
  | { readonly kind: "unavailable"; readonly problem: string };

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Cloudflare's `certNotBefore`/`certNotAfter` format, e.g. `Dec 22 19:39:00 2018 GMT` (OpenSSL's). */
export function parseCertDate(text: string): number | undefined {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text.trim());
  const month = MONTHS.indexOf(m?.[1] ?? "");
  if (m === null || month < 0) return undefined;
  return Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

type TlsClientAuth = Partial<Record<string, unknown>>;

function field(auth: TlsClientAuth, name: string): string {
  const value = auth[name];
  return typeof value === "string" ? value : "";
}

/** The certificate in `request.cf.tlsClientAuth` (none when absent, as on requests outside an mTLS hostname). */
export function fromCloudflare(cf: unknown): CertificateSource {
  const auth = (typeof cf === "object" && cf !== null ? (cf as Record<string, unknown>).tlsClientAuth : undefined) as TlsClientAuth | undefined;
  if (typeof auth !== "object" || auth === null || field(auth, "certPresented") !== "1") return { kind: "none" };
  const subjectDN = field(auth, "certSubjectDNRFC2253") || field(auth, "certSubjectDN");
  const verified = field(auth, "certVerified");
  const notBefore = parseCertDate(field(auth, "certNotBefore"));
  const notAfter = parseCertDate(field(auth, "certNotAfter"));
  return {
    kind: "presented",
    certificate: {
      // A presented certificate is never "NONE"; anything but SUCCESS is a failure.
      verified: verified === "SUCCESS" ? verified : verified.startsWith("FAILED") ? verified : `FAILED:${verified || "no result"}`,
      revoked: field(auth, "certRevoked") === "1",
      // An unreadable DN has no attributes, so no id can match it.
      subject: parseName(subjectDN) ?? [],
      subjectDN,
      issuerDN: field(auth, "certIssuerDNRFC2253") || field(auth, "certIssuerDN"),
      serial: field(auth, "certSerial").toUpperCase(),
      fingerprintSha256: field(auth, "certFingerprintSHA256").toLowerCase(),
      ...(notBefore === undefined ? {} : { notBefore }),
      ...(notAfter === undefined ? {} : { notAfter }),
    },
  };
}

function base64Bytes(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The DER bytes of an RFC 9440 byte sequence (`:base64:`) or of URL-encoded PEM; undefined otherwise. */
export function certificateBytes(header: string): Uint8Array | undefined {
  const value = header.trim();
  if (value.length > MAX_CERT_HEADER) return undefined;
  if (value.startsWith(":") && value.endsWith(":") && value.length > 2) return base64Bytes(value.slice(1, -1));
  let pem: string;
  try {
    pem = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const m = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/.exec(pem);
  return m === null ? undefined : base64Bytes((m[1] as string).replace(/\s+/g, ""));
}

/** The certificate a trusted proxy passed in headers; see the module comment for when headers are trusted. */
export async function fromProxyHeaders(headers: Headers, config: ClientCertificateConfig, secret: string | undefined): Promise<CertificateSource> {
  if (secret === undefined || secret.length < MIN_PROXY_SECRET_LENGTH) {
    return { kind: "unavailable", problem: `CLIENT_CERT_PROXY_SECRET must be set (at least ${MIN_PROXY_SECRET_LENGTH} characters) for client_certificate.source "header"` };
  }
  const raw = headers.get(config.header);
  // Compared even when no certificate came, so the time taken does not tell whether a guessed secret was right.
  const fromProxy = await secretsEqual(headers.get(PROXY_SECRET_HEADER) ?? "", secret);
  if (!fromProxy || raw === null || raw.trim() === "") return { kind: "none" };
  const der = certificateBytes(raw);
  const fields = der === undefined ? undefined : await certificateFields(der);
  const verify = headers.get(config.verify_header)?.trim() ?? "";
  if (fields === undefined) {
    return {
      kind: "presented",
      certificate: { verified: "FAILED:the proxy's certificate header is not a certificate", revoked: false, subject: [], subjectDN: "", issuerDN: "", serial: "", fingerprintSha256: "" },
    };
  }
  return {
    kind: "presented",
    certificate: {
      verified: verify === "SUCCESS" ? verify : verify.startsWith("FAILED") ? verify : "FAILED:no verification result from the proxy",
      revoked: false,
      subject: fields.subject,
      subjectDN: formatName(fields.subject),
      issuerDN: formatName(fields.issuer),
      serial: fields.serial,
      fingerprintSha256: fields.fingerprintSha256,
      notBefore: fields.notBefore,
      notAfter: fields.notAfter,
    },
  };
}

export interface CertificateRefusal {
  readonly status: 401 | 403;
  readonly reason: string;
  readonly message: string;
}

export type CertificateCheck = { readonly ok: true; readonly identity: CertificateIdentity } | ({ readonly ok: false } & CertificateRefusal);

function refuse(status: 401 | 403, reason: string, message: string): CertificateCheck {
  return { ok: false, status, reason, message };
}

function values(subject: NameAttributes, type: string): string[] {
  return subject.filter(([t]) => t.toLowerCase() === type.toLowerCase()).map(([, v]) => v);
}

/** A terminator's failure text, safe to echo (bounded, printable). */
function shown(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 160);
}

/**
 * OCPP's checks of a presented certificate for charge point `cid` at `now`: within its validity period, verified
 * by the terminator against the configured CA, not revoked (401 otherwise: the charge point did not authenticate);
 * then the subject's identity attribute (CN by default: OCPP's profile 3 names the charge point in its certificate's
 * subject CN) is exactly the
 * charge point id, and its O the configured organisation when one is set (403: authenticated, but not as this one).
 */
export function checkCertificate(cert: PresentedCertificate, cid: string, config: ClientCertificateConfig, now: number): CertificateCheck {
  if (cert.notAfter !== undefined && now > cert.notAfter) {
    return refuse(401, "client_certificate_expired", `the client certificate expired at ${new Date(cert.notAfter).toISOString()}`);
  }
  if (cert.notBefore !== undefined && now < cert.notBefore) {
    return refuse(401, "client_certificate_not_yet_valid", `the client certificate is valid from ${new Date(cert.notBefore).toISOString()}`);
  }
  if (cert.verified !== "SUCCESS") {
    return refuse(401, "client_certificate_not_verified", `the client certificate was not verified (${shown(cert.verified)})`);
  }
  if (cert.revoked) return refuse(401, "client_certificate_revoked", "the client certificate is revoked");
  const ids = values(cert.subject, config.identity_attribute);
  if (ids.length !== 1 || ids[0] !== cid) {
    return refuse(403, "client_certificate_id_mismatch", `the client certificate's subject ${config.identity_attribute} must be the charge point id`);
  }
  if (config.organization !== undefined) {
    const orgs = values(cert.subject, "O");
    if (orgs.length !== 1 || orgs[0] !== config.organization) {
      return refuse(403, "client_certificate_organization_mismatch", "the client certificate's subject O is not the configured organization");
    }
  }
  return {
    ok: true,
    identity: {
      subject: cert.subjectDN.slice(0, MAX_DN_SHOWN),
      issuer: cert.issuerDN.slice(0, MAX_DN_SHOWN),
      serial: cert.serial.slice(0, 64),
      fingerprint_sha256: cert.fingerprintSha256.slice(0, 128),
    },
  };
}
