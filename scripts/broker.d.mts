import type { Aedes } from "aedes";

export interface StartedBroker {
  /** The broker itself (its hooks, e.g. authorizeSubscribe, may be replaced). */
  readonly aedes: Aedes;
  readonly tcpPort: number;
  readonly wsPort: number;
  readonly tcpUrl: string;
  readonly wsUrl: string;
  close(): Promise<void>;
}
export const DEFAULT_MAX_PAYLOAD_BYTES: number;
export function startBroker(options?: {
  host?: string;
  tcpPort?: number;
  wsPort?: number;
  username?: string;
  password?: string;
  maxPayloadBytes?: number;
  log?: (line: string) => void;
}): Promise<StartedBroker>;
