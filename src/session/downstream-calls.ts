/**
 * The CSMS's calls to one charge point (OCPP-J 1.6 §4.1.1: a sender waits for the answer to a call before it
 * sends the next). One call is outstanding at a time; the others wait in a FIFO queue kept in durable storage
 * (`dnstream.max_mqueue_len`). Every call ends visibly: answered, timed out (`dnstream.awaiting_timeout`), refused
 * because the queue is full, refused because the charge point is not connected, refused as a duplicate (another
 * call reusing the UniqueId of one outstanding or queued), or expired with the session while the charge point stayed
 * away (`dnstream.session_expiry_interval`). The same message delivered again by the broker (QoS 1 is at least
 * once, and a broker may resend what it sent just before a reconnect) is not a second call: it is dropped quietly.
 *
 * Pure behaviour on an injected store; the ChargePoint object sends frames, publishes, and keeps the alarm.
 */

export interface QueuedCall {
  readonly uniqueId: string;
  readonly action: string;
  /** The OCPP-J frame to send, already built and checked. */
  readonly frame: string;
  readonly enqueuedAt: number;
}

export interface InflightCall {
  readonly uniqueId: string;
  readonly action: string;
  readonly sentAt: number;
  readonly deadline: number;
  /** FNV-1a of the frame that went out: tells the same message delivered again from a new call reusing the id. */
  readonly fingerprint?: number;
}

/** Durable state of the downstream calls (the ChargePoint object's storage; a map in unit tests). */
export interface CallStore {
  getInflight(): Promise<InflightCall | undefined>;
  setInflight(call: InflightCall | undefined): Promise<void>;
  queueLength(): Promise<number>;
  /** The frame of the queued call with this UniqueId, if one is queued. */
  queuedFrame(uniqueId: string): Promise<string | undefined>;
  enqueue(call: QueuedCall): Promise<void>;
  /** Removes and returns the oldest queued call. */
  dequeue(): Promise<QueuedCall | undefined>;
  /** Puts a call back at the head of the queue. */
  pushFront(call: QueuedCall): Promise<void>;
  /** Remembers a call that timed out, so that a late answer can still carry its Action (bounded). */
  rememberTimedOut(uniqueId: string, action: string): Promise<void>;
  /** The Action of a call that timed out, forgetting it. */
  takeTimedOut(uniqueId: string): Promise<string | undefined>;
}

export type Refusal = "duplicate" | "queue_full" | "not_connected";

export type SubmitOutcome =
  | { readonly outcome: "sent"; readonly call: InflightCall }
  | { readonly outcome: "queued"; readonly position: number }
  | { readonly outcome: "refused"; readonly reason: Refusal }
  /** The very message already outstanding or queued, delivered again (MQTT QoS 1 is at least once): nothing to do. */
  | { readonly outcome: "redelivered" };

/** FNV-1a (32 bit) of a frame's UTF-16 code units: cheap, and compared only between messages with the same UniqueId. */
export function fingerprintOf(frame: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < frame.length; i++) {
    hash ^= frame.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export interface CallPolicy {
  readonly awaitingTimeoutMs: number;
  readonly maxQueueLength: number;
}

export type Answer =
  | { readonly kind: "answered"; readonly action: string }
  | { readonly kind: "late"; readonly action: string }
  | { readonly kind: "unknown" };

export class DownstreamCalls {
  constructor(
    private readonly store: CallStore,
    private readonly policy: CallPolicy,
    /** Sends a frame to the charge point; false when it is not connected. */
    private readonly send: (frame: string) => boolean,
  ) {}

  private async sendNow(call: { uniqueId: string; action: string; frame: string }, now: number): Promise<InflightCall | undefined> {
    const inflight: InflightCall = {
      uniqueId: call.uniqueId,
      action: call.action,
      sentAt: now,
      deadline: now + this.policy.awaitingTimeoutMs,
      fingerprint: fingerprintOf(call.frame),
    };
    // Stored before sending: an answer can only come after the frame went out.
    await this.store.setInflight(inflight);
    if (this.send(call.frame)) return inflight;
    await this.store.setInflight(undefined);
    return undefined;
  }

  /** A new call from the CSMS. */
  async submit(call: { uniqueId: string; action: string; frame: string }, connected: boolean, now: number): Promise<SubmitOutcome> {
    // A call already held is judged first, connected or not: the broker delivers again what it did not see
    // acknowledged (QoS 1, MQTT 3.1.1 §4.3.2), also while the charge point is away and its queued calls wait for it.
    const inflight = await this.store.getInflight();
    if (inflight?.uniqueId === call.uniqueId) {
      return inflight.fingerprint === fingerprintOf(call.frame) ? { outcome: "redelivered" } : { outcome: "refused", reason: "duplicate" };
    }
    const queued = await this.store.queuedFrame(call.uniqueId);
    if (queued !== undefined) return queued === call.frame ? { outcome: "redelivered" } : { outcome: "refused", reason: "duplicate" };
    if (!connected) return { outcome: "refused", reason: "not_connected" };
    const length = await this.store.queueLength();
    if (inflight === undefined && length === 0) {
      const sent = await this.sendNow(call, now);
      return sent === undefined ? { outcome: "refused", reason: "not_connected" } : { outcome: "sent", call: sent };
    }
    if (length >= this.policy.maxQueueLength) return { outcome: "refused", reason: "queue_full" };
    await this.store.enqueue({ ...call, enqueuedAt: now });
    return { outcome: "queued", position: length + 1 };
  }

  /**
   * A call queued elsewhere before (a handover between shards): queued as it is; undefined when queued, or why not
   * (a duplicate of one outstanding or queued here is dropped quietly: the charge point has it already).
   */
  async adopt(call: QueuedCall): Promise<"queue_full" | undefined> {
    const inflight = await this.store.getInflight();
    if (inflight?.uniqueId === call.uniqueId || (await this.store.queuedFrame(call.uniqueId)) !== undefined) return undefined;
    if ((await this.store.queueLength()) >= this.policy.maxQueueLength) return "queue_full";
    await this.store.enqueue(call);
    return undefined;
  }

  /** A CALLRESULT or CALLERROR from the charge point: which call it answers. */
  async answer(uniqueId: string): Promise<Answer> {
    const inflight = await this.store.getInflight();
    if (inflight?.uniqueId === uniqueId) {
      await this.store.setInflight(undefined);
      return { kind: "answered", action: inflight.action };
    }
    const late = await this.store.takeTimedOut(uniqueId);
    return late === undefined ? { kind: "unknown" } : { kind: "late", action: late };
  }

  /** The outstanding call, if its deadline has passed: it is given up (and remembered for a late answer). */
  async expireInflight(now: number): Promise<InflightCall | undefined> {
    const inflight = await this.store.getInflight();
    if (inflight === undefined || inflight.deadline > now) return undefined;
    return this.giveUp(inflight);
  }

  /** Gives up the outstanding call whatever its deadline (its connection ended). */
  async abandonInflight(): Promise<InflightCall | undefined> {
    const inflight = await this.store.getInflight();
    return inflight === undefined ? undefined : this.giveUp(inflight);
  }

  private async giveUp(inflight: InflightCall): Promise<InflightCall> {
    await this.store.setInflight(undefined);
    await this.store.rememberTimedOut(inflight.uniqueId, inflight.action);
    return inflight;
  }

  /** Sends the next queued call when none is outstanding and the charge point is connected. */
  async sendNext(connected: boolean, now: number): Promise<InflightCall | undefined> {
    if (!connected || (await this.store.getInflight()) !== undefined) return undefined;
    const next = await this.store.dequeue();
    if (next === undefined) return undefined;
    const sent = await this.sendNow(next, now);
    if (sent === undefined) {
      // The socket went away between the check and the send: keep the call, first in line, for the next connection.
      await this.store.pushFront(next);
    }
    return sent;
  }

  /** Empties the queue (the session expired while the charge point stayed away). */
  async drain(): Promise<QueuedCall[]> {
    const drained: QueuedCall[] = [];
    for (let call = await this.store.dequeue(); call !== undefined; call = await this.store.dequeue()) drained.push(call);
    return drained;
  }

  async deadline(): Promise<number | undefined> {
    return (await this.store.getInflight())?.deadline;
  }
}
