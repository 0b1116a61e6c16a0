// The certificate facts the Worker reads (DER from a proxy's header, DN strings and dates from Cloudflare) and the
// profile 3 checks, without a TLS terminator.
import { describe, expect, it } from "vitest";
import { certificateBytes, checkCertificate, fromCloudflare, fromProxyHeaders, parseCertDate, PROXY_SECRET_HEADER, type PresentedCertificate } from "../../src/auth/client-certificate";
import { DEFAULT_CONFIG, type ClientCertificateConfig } from "../../src/config/gateway-config";
import { certificateFields, formatName, parseName } from "../../src/auth/x509";

// An X.509 v1 certificate made with openssl for this test (no version field, a comma in O):
//   subject=CN=CP-fixture,O=Fleet\, Inc.,C=DE  issuer=O=Fleet,CN=Fixture CA  serial=3444DEA3…5B21
//   notBefore=Dec 1 05:12:53 2026 GMT  notAfter=Nov 7 05:12:53 2126 GMT
const FIXTURE =
  "MIIBWjCCAQACFDRE3qMu3FEzhDo7QF9V9XuT3lshMAoGCCqGSM49BAMCMCUxEzARBgNVBAMMCkZpeHR1cmUgQ0ExDjAMBgNVBAoMBUZsZWV0MCAXDTI2MTIwMTA1MTI1M1oYDzIxMjYxMTA3MDUxMjUzWjA4MQswCQYDVQQGEwJERTEUMBIGA1UECgwLRmxlZXQsIEluYy4xEzARBgNVBAMMCkNQLWZpeHR1cmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARcqPmV8dsp6Jcd8hpRbRV96bKBirSKZam9fsMppDMCJVGKHWX5v43bmMI9bgEd9SVKI9UUnQE3+1d8001ansL4MAoGCCqGSM49BAMCA0gAMEUCIQCFWA37b9d8M4M7TGfdLc6bsayToXxgD2vmptq5Fe7hnQIgXelggvfseJoH2+krb62509uHF04xUo7eOEaWXemXSL4=";
const FIXTURE_SHA256 = "9255e77e5009199e34035f00570fca0eea9c6cbe96a3a85fe0a9905cb6698b0a";

const config = (more: Partial<ClientCertificateConfig> = {}): ClientCertificateConfig => ({ ...DEFAULT_CONFIG.client_certificate, mode: "required", ...more });
const SECRET = "s".repeat(32);

describe("X.509 fields from DER", () => {
  it("reads serial, names, validity and fingerprint as openssl shows them", async () => {
    const fields = await certificateFields(certificateBytes(`:${FIXTURE}:`)!);
    expect(fields).toEqual({
      serial: "3444DEA32EDC5133843A3B405F55F57B93DE5B21",
      subject: [["CN", "CP-fixture"], ["O", "Fleet, Inc."], ["C", "DE"]],
      issuer: [["O", "Fleet"], ["CN", "Fixture CA"]],
      notBefore: Date.UTC(2026, 11, 1, 5, 12, 53),
      notAfter: Date.UTC(2126, 10, 7, 5, 12, 53),
      fingerprintSha256: FIXTURE_SHA256,
    });
    expect(formatName(fields!.subject)).toBe("CN=CP-fixture,O=Fleet\\, Inc.,C=DE");
  });

  it("accepts URL-encoded PEM (nginx's $ssl_client_escaped_cert) and refuses what is not a certificate", async () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${FIXTURE.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
    expect(certificateBytes(encodeURIComponent(pem))).toEqual(certificateBytes(`:${FIXTURE}:`));
    for (const bad of ["", "::", ":not base64!:", "CP-fixture", `:${btoa("hello")}:`, `:${FIXTURE.slice(0, 100)}:`]) {
      const der = certificateBytes(bad);
      expect(der === undefined || (await certificateFields(der)) === undefined).toBe(true);
    }
    // A certificate followed by anything else is not a certificate either.
    expect(await certificateFields(Uint8Array.from([...certificateBytes(`:${FIXTURE}:`)!, 0x00]))).toBeUndefined();
  });
});

describe("DN strings (Cloudflare's certSubjectDNRFC2253)", () => {
  it.each([
    ["CN=CP001,O=Fleet,C=DE", [["CN", "CP001"], ["O", "Fleet"], ["C", "DE"]]],
    ["CN=CP001, O=Fleet\\, Inc., C=DE", [["CN", "CP001"], ["O", "Fleet, Inc."], ["C", "DE"]]],
    ["CN=CP\\2B1+UID=x", [["CN", "CP+1"], ["UID", "x"]]],
    ['CN="a,b"', [["CN", "a,b"]]],
    ["CN=\\C3\\A9", [["CN", "é"]]],
    ["", []],
  ])("%s", (dn, attributes) => {
    expect(parseName(dn)).toEqual(attributes);
  });

  it("refuses what is not a DN", () => {
    for (const bad of ["CP001", "=x", "CN=\\", "CN=\\FF"]) expect(parseName(bad)).toBeUndefined();
  });
});

describe("request.cf.tlsClientAuth", () => {
  it("the placeholder (no certificate) and a missing object are 'none'", () => {
    expect(fromCloudflare({ tlsClientAuth: { certPresented: "0", certVerified: "NONE" } })).toEqual({ kind: "none" });
    expect(fromCloudflare({})).toEqual({ kind: "none" });
    expect(fromCloudflare(undefined)).toEqual({ kind: "none" });
  });

  it("reads a presented certificate", () => {
    const found = fromCloudflare({
      tlsClientAuth: {
        certPresented: "1",
        certVerified: "SUCCESS",
        certRevoked: "0",
        certSubjectDNRFC2253: "CN=CP001,O=Fleet",
        certIssuerDNRFC2253: "CN=Fleet CA",
        certSerial: "00936eacbe07f201df",
        certFingerprintSHA256: "AB12",
        certNotBefore: "Dec 22 19:39:00 2018 GMT",
        certNotAfter: "Jan  2 03:04:05 2030 GMT",
      },
    });
    expect(found).toEqual({
      kind: "presented",
      certificate: {
        verified: "SUCCESS",
        revoked: false,
        subject: [["CN", "CP001"], ["O", "Fleet"]],
        subjectDN: "CN=CP001,O=Fleet",
        issuerDN: "CN=Fleet CA",
        serial: "00936EACBE07F201DF",
        fingerprintSha256: "ab12",
        notBefore: Date.UTC(2018, 11, 22, 19, 39, 0),
        notAfter: Date.UTC(2030, 0, 2, 3, 4, 5),
      },
    });
    expect(parseCertDate("not a date")).toBeUndefined();
  });
});

describe("proxy headers", () => {
  const headers = (more: Record<string, string>) => new Headers({ "Client-Cert": `:${FIXTURE}:`, "Client-Cert-Verify": "SUCCESS", ...more });

  it("count only with the proxy's secret", async () => {
    expect((await fromProxyHeaders(headers({ [PROXY_SECRET_HEADER]: SECRET }), config(), SECRET)).kind).toBe("presented");
    expect(await fromProxyHeaders(headers({}), config(), SECRET)).toEqual({ kind: "none" });
    expect(await fromProxyHeaders(headers({ [PROXY_SECRET_HEADER]: `${SECRET}x` }), config(), SECRET)).toEqual({ kind: "none" });
  });

  it("without a usable secret the source is unavailable, whatever the request says", async () => {
    for (const secret of [undefined, "short"]) {
      expect((await fromProxyHeaders(headers({ [PROXY_SECRET_HEADER]: secret ?? "" }), config(), secret)).kind).toBe("unavailable");
    }
  });

  it("a certificate without the proxy's verification result is not verified", async () => {
    const found = await fromProxyHeaders(new Headers({ "Client-Cert": `:${FIXTURE}:`, [PROXY_SECRET_HEADER]: SECRET }), config(), SECRET);
    expect(found.kind === "presented" && found.certificate.verified).toBe("FAILED:no verification result from the proxy");
  });
});

describe("profile 3 checks", () => {
  const now = Date.UTC(2027, 0, 1);
  const good: PresentedCertificate = {
    verified: "SUCCESS",
    revoked: false,
    subject: [["CN", "CP001"], ["O", "Fleet"]],
    subjectDN: "CN=CP001,O=Fleet",
    issuerDN: "CN=Fleet CA",
    serial: "01",
    fingerprintSha256: "ab",
    notBefore: Date.UTC(2026, 0, 1),
    notAfter: Date.UTC(2028, 0, 1),
  };

  it("passes a verified certificate naming the charge point, and keeps its identity", () => {
    expect(checkCertificate(good, "CP001", config({ organization: "Fleet" }), now)).toEqual({
      ok: true,
      identity: { subject: "CN=CP001,O=Fleet", issuer: "CN=Fleet CA", serial: "01", fingerprint_sha256: "ab" },
    });
  });

  it.each([
    ["expired", { notAfter: Date.UTC(2026, 5, 1) }, {}, 401, "client_certificate_expired"],
    ["not yet valid", { notBefore: Date.UTC(2027, 5, 1) }, {}, 401, "client_certificate_not_yet_valid"],
    ["not verified", { verified: "FAILED:unable to get local issuer certificate" }, {}, 401, "client_certificate_not_verified"],
    ["revoked", { revoked: true }, {}, 401, "client_certificate_revoked"],
    ["another charge point's", { subject: [["CN", "CP002"]] as const }, {}, 403, "client_certificate_id_mismatch"],
    ["two CNs", { subject: [["CN", "CP001"], ["CN", "CP002"]] as const }, {}, 403, "client_certificate_id_mismatch"],
    ["a CN differing in case", { subject: [["CN", "cp001"]] as const }, {}, 403, "client_certificate_id_mismatch"],
    ["without the id in the configured attribute", {}, { identity_attribute: "UID" as const }, 403, "client_certificate_id_mismatch"],
    ["of another organization", {}, { organization: "Other" }, 403, "client_certificate_organization_mismatch"],
  ])("refuses a certificate %s", (_, change, more, status, reason) => {
    expect(checkCertificate({ ...good, ...change }, "CP001", config(more), now)).toMatchObject({ ok: false, status, reason });
  });
});
