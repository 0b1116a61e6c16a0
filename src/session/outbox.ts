/**
 * Upstream messages that the broker did not confirm are kept, in order, and published once the broker link is
 * back (at-least-once: a message whose PUBACK was lost is published again; consumers dedupe on UniqueId).
 *
 * The normal path costs no storage write: a message is published directly and only kept when that fails. Once
 * anything is kept, every later message goes behind it, so the broker sees the charge point's messages in the
 * order they arrived. The outbox is bounded (`upstream.outbox_max_len`); when it is full a new CALL is refused so
 * the charge point's own retry logic takes over, and nothing is accepted and then dropped.
 *
 * A message that ends one of the CSMS's calls (the charge point's answer, or the gateway's error envelope for it)
 * cannot be retried by anyone: refusing it would leave the CSMS's call without an end. Such messages may use a
 * reserve beyond the limit, sized to the calls that can be outstanding or queued at once.
 */

export interface OutboxMessage {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
  readonly queuedAt: number;
}

export interface OutboxStore {
  length(): Promise<number>;
  append(message: OutboxMessage): Promise<void>;
  /** The oldest message with its key, without removing it. */
  head(): Promise<{ readonly seq: number; readonly message: OutboxMessage } | undefined>;
  remove(seq: number): Promise<void>;
  /** When the next retry is due (undefined: none scheduled), and how many retries so far. */
  retry(): Promise<{ readonly at: number; readonly attempts: number } | undefined>;
  setRetry(retry: { at: number; attempts: number } | undefined): Promise<void>;
}

export interface UpstreamLink {
  /** QoS 1 publish; resolves on PUBACK, rejects when the broker cannot be reached or does not confirm. */
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  /** Whether the link is connected now (no waiting). */
  isReady(): Promise<boolean>;
}

export type PublishOutcome = "sent" | "queued" | "refused";

export interface OutboxPolicy {
  /** 0 turns the outbox off: a message the broker does not confirm is refused at once. */
  readonly maxLength: number;
  /** Extra room for messages that end a CSMS call (see above). */
  readonly endingsReserve: number;
}

/** What a message is to the outbox: an ending of a CSMS call may use the reserve. */
export type MessageClass = "normal" | "ending";

/** Retry every 2 s for the first minute of an outage, then every 30 s. */
export function retryDelay(attempts: number): number {
  return attempts < 30 ? 2_000 : 30_000;
}

export class Outbox {
  constructor(
    private readonly store: OutboxStore,
    private readonly link: UpstreamLink,
    private readonly policy: OutboxPolicy,
    private readonly now: () => number,
  ) {}

  private async keep(topic: string, payload: string, retain: boolean, kind: MessageClass): Promise<PublishOutcome> {
    if (this.policy.maxLength === 0) return "refused";
    const limit = this.policy.maxLength + (kind === "ending" ? this.policy.endingsReserve : 0);
    if ((await this.store.length()) >= limit) return "refused";
    await this.store.append({ topic, payload, retain, queuedAt: this.now() });
    if ((await this.store.retry()) === undefined) await this.store.setRetry({ at: this.now() + retryDelay(0), attempts: 0 });
    return "queued";
  }

  /** Publishes now, or keeps the message for later; "refused" when it can do neither. */
  async publish(topic: string, payload: string, retain = false, kind: MessageClass = "normal"): Promise<PublishOutcome> {
    if ((await this.store.length()) > 0) {
      // Others are waiting: this one goes behind them; if the link is back, catch up now.
      const outcome = await this.keep(topic, payload, retain, kind);
      if (outcome === "queued" && (await this.link.isReady())) await this.flush();
      return outcome;
    }
    try {
      await this.link.publish(topic, payload, retain);
      return "sent";
    } catch {
      return this.keep(topic, payload, retain, kind);
    }
  }

  /** Publishes kept messages in order until one fails; schedules the next retry then. Returns how many went. */
  async flush(): Promise<number> {
    let sent = 0;
    for (let head = await this.store.head(); head !== undefined; head = await this.store.head()) {
      try {
        await this.link.publish(head.message.topic, head.message.payload, head.message.retain);
      } catch {
        const previous = await this.store.retry();
        const attempts = (previous?.attempts ?? 0) + 1;
        await this.store.setRetry({ at: this.now() + retryDelay(attempts), attempts });
        return sent;
      }
      await this.store.remove(head.seq);
      sent++;
    }
    await this.store.setRetry(undefined);
    return sent;
  }

  /** Runs a due retry. */
  async retryIfDue(): Promise<number> {
    const retry = await this.store.retry();
    if (retry === undefined || retry.at > this.now()) return 0;
    return this.flush();
  }

  async deadline(): Promise<number | undefined> {
    return (await this.store.retry())?.at;
  }

  length(): Promise<number> {
    return this.store.length();
  }
}
