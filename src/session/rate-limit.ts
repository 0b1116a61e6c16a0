/**
 * The charge point's frame rate limit: a token bucket of `max_frames_per_second` per second, bursts of twice that,
 * counted when frames arrived (frames can wait behind a slow publish; they must not then count as a burst).
 *
 * What OCPP-J's one-outstanding-call rule already paces is never limited (1.6 §4.1.1, 2.x Part 4 §4.1.1): a CALL
 * sent after the CSMS answered the charge point's latest call is paced by the CSMS itself (an offline queue flushed
 * one call per answer goes through at the CSMS's speed); answers to the gateway's own calls are paced by the gateway
 * (the caller decides those are free). A call the gateway answers itself (a refusal) is paced by the limit instead:
 * the refusal goes out no sooner than the bucket holds a token for the charge point's next frame, so a charger that
 * waits for each answer is slowed to the limit, never refused, while one that does not wait is still refused.
 */
import type { GatewayConfig } from "../config/gateway-config";
import type { ConnectionState } from "./connection";

/** Token counts are fractions: a bucket refilled to exactly one token must not read as 0.999… */
const EPSILON = 1e-9;

export class FrameRateLimit {
  constructor(
    private readonly config: GatewayConfig,
    private readonly state: ConnectionState,
  ) {}

  /** A CALL that follows the CSMS's answer to the charge point's latest call: free, once. */
  isPacedCall(): boolean {
    if (this.state.csmsAnswered < 1) return false;
    this.state.csmsAnswered = 0;
    return true;
  }

  /** Takes a token for a frame that arrived at `arrivedAt`; false when there is none. */
  take(arrivedAt: number): boolean {
    const rate = this.config.max_frames_per_second;
    if (rate === 0) return true;
    const now = Math.max(arrivedAt, this.state.tokensAt);
    const available = this.available(now);
    this.state.tokensAt = now;
    if (available < 1 - EPSILON) {
      this.state.tokens = available;
      return false;
    }
    this.state.tokens = Math.max(0, available - 1);
    return true;
  }

  /** When the bucket next holds a token (ms since the epoch, whole ms, never before `now`): when to send a refusal. */
  nextTokenAt(now: number): number {
    const rate = this.config.max_frames_per_second;
    const at = Math.max(now, this.state.tokensAt);
    if (rate === 0) return at;
    const missing = 1 - this.available(at);
    return missing <= EPSILON ? at : Math.ceil(at + (missing * 1000) / rate);
  }

  describe(): string {
    return `rate limit exceeded: at most ${this.config.max_frames_per_second} frames per second`;
  }

  /** Tokens in the bucket at `at` (not before the last count). */
  private available(at: number): number {
    const rate = this.config.max_frames_per_second;
    const burst = 2 * rate;
    if (this.state.tokens < 0) return burst;
    return Math.min(burst, this.state.tokens + ((at - this.state.tokensAt) / 1000) * rate);
  }
}
