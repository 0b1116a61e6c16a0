/**
 * The charge point's frame rate limit: a token bucket of `max_frames_per_second` per second, bursts of twice that,
 * counted when frames arrived (frames can wait behind a slow publish; they must not then count as a burst).
 *
 * What OCPP-J's one-outstanding-call rule already paces is never limited (1.6 §4.1.1, 2.x Part 4 §4.1.1): a CALL
 * sent after the CSMS answered the charge point's previous call, with nothing else outstanding, is paced by the
 * CSMS itself (an offline queue flushed one call per answer goes through at the CSMS's speed); answers to the
 * gateway's own calls are paced by the gateway (the caller decides those are free). Answers the gateway made itself
 * (refusals) earn nothing, so a charger cannot pace itself on them.
 */
import type { GatewayConfig } from "../config/gateway-config";
import type { ChargePointCalls } from "./charge-point-calls";
import type { ConnectionState } from "./connection";

export class FrameRateLimit {
  constructor(
    private readonly config: GatewayConfig,
    private readonly state: ConnectionState,
    private readonly cpCalls: ChargePointCalls,
  ) {}

  /** A CALL that follows the CSMS's answer to the previous one, with nothing outstanding: free, once. */
  isPacedCall(): boolean {
    if (this.state.csmsAnswered < 1 || this.cpCalls.hasOutstanding()) return false;
    this.state.csmsAnswered = 0;
    return true;
  }

  /** Takes a token for a frame that arrived at `arrivedAt`; false when there is none. */
  take(arrivedAt: number): boolean {
    const rate = this.config.max_frames_per_second;
    if (rate === 0) return true;
    const now = Math.max(arrivedAt, this.state.tokensAt);
    const burst = 2 * rate;
    const available = this.state.tokens < 0 ? burst : Math.min(burst, this.state.tokens + ((now - this.state.tokensAt) / 1000) * rate);
    this.state.tokensAt = now;
    if (available < 1) {
      this.state.tokens = available;
      return false;
    }
    this.state.tokens = available - 1;
    return true;
  }

  describe(): string {
    return `rate limit exceeded: at most ${this.config.max_frames_per_second} frames per second`;
  }
}
