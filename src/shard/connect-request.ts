/**
 * What the Worker has established about an upgrade request (id, subprotocol, credentials, config) and hands to
 * the charge point's shard in a header, so the shard does not repeat any of it.
 */
import type { CertificateIdentity } from "../auth/client-certificate";
import type { GatewayConfig } from "../config/gateway-config";

export const CONNECT_HEADER = "x-ocpp-gateway-connect";

export interface ConnectRequest {
  readonly cid: string;
  readonly protocol: string;
  /** Whether the charge point offered a subprotocol (only then is it echoed, RFC 6455 §4.2.2). */
  readonly echoProtocol: boolean;
  readonly username?: string;
  readonly ip?: string;
  /** The client certificate the charge point authenticated with (security profile 3). */
  readonly certificate?: CertificateIdentity;
  readonly config: GatewayConfig;
  /** The shard the Worker chose (`<region>/<index>`), and where the edge received the request (shard/address.ts). */
  readonly shard: string;
  readonly placement: string;
}

export function encodeConnectRequest(request: ConnectRequest): string {
  return encodeURIComponent(JSON.stringify(request));
}

export function decodeConnectRequest(header: string | null): ConnectRequest | undefined {
  if (header === null) return undefined;
  try {
    const value: unknown = JSON.parse(decodeURIComponent(header));
    if (typeof value !== "object" || value === null) return undefined;
    const r = value as Record<string, unknown>;
    if (typeof r.cid !== "string" || typeof r.protocol !== "string" || typeof r.echoProtocol !== "boolean" || typeof r.shard !== "string" || typeof r.placement !== "string") {
      return undefined;
    }
    if (typeof r.config !== "object" || r.config === null) return undefined;
    return value as ConnectRequest;
  } catch {
    return undefined;
  }
}
