/**
 * Moving a charge point between shards without a registry. Every shard that holds a charge point subscribes, next
 * to its downstream topic, to the charge point's claims topic `<prefix>/claims/<id>` (prefix: MQTT_CLIENT_ID_PREFIX,
 * outside the mountpoint so a CSMS never sees it). A shard that starts a session for a charge point it did not
 * hold subscribes both first, then publishes a claim naming itself; the shard that held it (if any) is the only
 * other subscriber, so it alone receives the claim: it closes a connection still open there, hands its queued
 * calls over (an RPC to the claimant), and drops both filters. The outbox stays and drains from the old shard,
 * which keeps its own broker connection. No fan-in: a claim reaches at most one other shard.
 *
 * Between the claimant's SUBSCRIBE and the old shard's handling of the claim, a command can reach both; the old
 * shard hands over only what it received before the claim (a broker forwards one session's messages in order), and
 * the claimant skips calls it already saw (member.ts HANDOVER_WINDOW_MS).
 */
import { isTopicLevel } from "../mqtt/topics";

export interface Claim {
  /** The claiming shard's name. */
  readonly shard: string;
  readonly at: number;
}

export function claimPayload(shard: string, at: number): string {
  return JSON.stringify({ shard, at });
}

export function parseClaim(payload: Uint8Array): Claim | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (typeof value !== "object" || value === null) return undefined;
    const r = value as Record<string, unknown>;
    if (typeof r.shard !== "string" || !/^[a-z]+\/\d{1,4}$/.test(r.shard) || typeof r.at !== "number") return undefined;
    return { shard: r.shard, at: r.at };
  } catch {
    return undefined;
  }
}

/** The gateway's own topics on the broker, under its client id prefix. */
export class ClaimTopics {
  private readonly claims: string;

  constructor(
    readonly prefix: string,
    private readonly shard: string,
  ) {
    this.claims = `${prefix}/claims/`;
  }

  /** Why a client id prefix cannot start the gateway's topics, or undefined. */
  static problem(prefix: string): string | undefined {
    if (!isTopicLevel(prefix) || prefix.startsWith("$")) return "MQTT_CLIENT_ID_PREFIX must be one MQTT topic level: no '/', '+', '#', and not starting with '$'";
    return undefined;
  }

  claimTopic(cid: string): string {
    return this.claims + cid;
  }

  /** The shard's own topic, subscribed in every connection's handshake (nothing is published on it). */
  control(): string {
    return `${this.prefix}/shards/${this.shard.replace("/", "-")}`;
  }

  isControl(topic: string): boolean {
    return topic === this.control();
  }

  cidOfClaim(topic: string): string | undefined {
    return topic.startsWith(this.claims) ? topic.slice(this.claims.length) : undefined;
  }
}
