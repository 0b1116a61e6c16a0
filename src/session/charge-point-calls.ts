/**
 * The charge point's own calls that the gateway relayed to the CSMS, per connection (in the attachment): which
 * are still waiting for the CSMS's answer, whether the charge point waits for the answer to its latest one, and which
 * the CSMS answered last. OCPP-J allows one outstanding call per direction (1.6 §4.1.1, 2.x Part 4 §4.1.1): a charge
 * point waiting for an answer may send no other call, which the heartbeat check (lifecycle.ts) and the rate limit
 * (rate-limit.ts) take into account. A few calls are remembered to be lenient with chargers that send more.
 */
import type { ConnectionState } from "./connection";

const MAX_OUTSTANDING = 8;
const MAX_ANSWERED = 4;

export class ChargePointCalls {
  constructor(private readonly state: ConnectionState) {}

  /** A call relayed to the CSMS (or kept for it): the charge point now waits for its answer. */
  remember(uniqueId: string, action: string, arrivedAt: number): void {
    const calls = this.state.cpCalls.filter(([id]) => id !== uniqueId);
    calls.push([uniqueId, action]);
    this.state.cpCalls = calls.slice(-MAX_OUTSTANDING);
    this.state.awaitingSince = arrivedAt;
  }

  /** A call the gateway could not relay after all (and refused itself): nobody will answer it. */
  forget(uniqueId: string): void {
    if (this.isLatest(uniqueId)) this.state.awaitingSince = 0;
    this.state.cpCalls = this.state.cpCalls.filter(([id]) => id !== uniqueId);
  }

  /** The Action of an outstanding call. */
  actionOf(uniqueId: string): string | undefined {
    return this.state.cpCalls.find(([id]) => id === uniqueId)?.[1];
  }

  /**
   * The CSMS's answer went to the charge point at `at`: the call is no longer outstanding. When it was the latest,
   * the charge point may send its next call (rate-limit.ts: pacing) and its silence counts from now (lifecycle.ts).
   * A CALLRESULTERROR (2.1) can only be about a CALLRESULT (Part 4 §4.2.4), so only those are remembered for it.
   */
  answered(uniqueId: string, action: string, at: number, byResult: boolean): void {
    if (this.isLatest(uniqueId)) {
      this.state.awaitingSince = 0;
      this.state.answeredAt = at;
      this.state.csmsAnswered = 1;
    }
    this.state.cpCalls = this.state.cpCalls.filter(([id]) => id !== uniqueId);
    const others = this.state.answeredCpCalls.filter(([id]) => id !== uniqueId);
    this.state.answeredCpCalls = byResult ? [...others, [uniqueId, action] as [string, string]].slice(-MAX_ANSWERED) : others;
  }

  /** The Action of a call whose CALLRESULT the charge point may still report invalid, at most once (2.1). */
  takeAnswered(uniqueId: string): string | undefined {
    const action = this.state.answeredCpCalls.find(([id]) => id === uniqueId)?.[1];
    if (action !== undefined) this.state.answeredCpCalls = this.state.answeredCpCalls.filter(([id]) => id !== uniqueId);
    return action;
  }

  /** Whether `uniqueId` is the charge point's latest call and it still waits for its answer. */
  private isLatest(uniqueId: string): boolean {
    return this.state.awaitingSince > 0 && this.state.cpCalls.at(-1)?.[0] === uniqueId;
  }
}
