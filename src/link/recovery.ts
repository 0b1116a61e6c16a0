/**
 * When the broker link gives up its persistent session. A QoS 1 message the link never acknowledged is sent again
 * on every resumed session [MQTT-4.4.0-1]: one it cannot receive would keep the link down for good. Then one
 * connection with a clean session (MQTT 3.1.1 §3.1.2.4) makes the broker drop it — with everything else queued for
 * the link's client id at that moment — and the link goes back to a persistent session.
 *
 * Two signs: the runtime refused a message as too big (over 32 MiB), or several resumed sessions in a row stalled
 * between CONNACK and SUBACK (the broker resends the session's messages first; one that never arrives in time —
 * too large for a slow broker: mosquitto 2.0.11 sends over WebSocket at about 40 KB/s, and the runtime hands over
 * whole messages only — holds the SUBACK back each time).
 */
export const STALLED_RESUMES_BEFORE_DISCARD = 3;

export class SessionRecovery {
  /** The next connection uses a clean session. */
  discardNext = false;
  /** The next connection attempt starts at once (after a restart, or around discarding the session). */
  private now = false;
  private stalledResumes = 0;

  /** The runtime refused a message as too big. */
  tooBig(): void {
    this.discardNext = true;
    this.now = true;
  }

  /** A resumed session stalled before its SUBACK; true when this one decides for a clean session. */
  stalled(): boolean {
    if (++this.stalledResumes < STALLED_RESUMES_BEFORE_DISCARD) return false;
    this.stalledResumes = 0;
    this.tooBig();
    return true;
  }

  /** The clean session was established: the broker dropped the old one; reconnect persistently at once. */
  discarded(): void {
    this.discardNext = false;
    this.now = true;
  }

  /** The link closes its connection on purpose and wants the next one at once. */
  reconnectAtOnce(): void {
    this.now = true;
  }

  /** A persistent session is up. */
  connected(): void {
    this.stalledResumes = 0;
  }

  /** Whether the connection that just ended is to be replaced at once (consumes the flag). */
  takeReconnectNow(): boolean {
    const now = this.now;
    this.now = false;
    return now;
  }
}
