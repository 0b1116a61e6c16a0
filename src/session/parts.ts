/** The parts a charge point's session is composed of, as its upstream and downstream halves see them. */
import type { ChargePointCalls } from "./charge-point-calls";
import type { Connection, ConnectionState, SessionPorts } from "./connection";
import type { CsmsPublisher } from "./csms-publisher";
import type { DownstreamCalls } from "./downstream-calls";
import type { FrameRateLimit } from "./rate-limit";

export interface SessionParts {
  readonly conn: Connection;
  readonly ports: SessionPorts;
  readonly state: ConnectionState;
  readonly csms: CsmsPublisher;
  /** The charge point's calls to the CSMS. */
  readonly cpCalls: ChargePointCalls;
  /** The CSMS's calls to the charge point: one outstanding, the rest queued. */
  readonly csmsCalls: DownstreamCalls;
  readonly limit: FrameRateLimit;
  /** Sends a frame to the charge point (not before `notBefore`, when given), counting it; false when it has no open connection. */
  toChargePoint(text: string, notBefore?: number): boolean;
  /** Sends the next queued CSMS call if none is outstanding. */
  sendNext(): Promise<void>;
}
