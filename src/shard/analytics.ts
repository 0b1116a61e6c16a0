/**
 * The gateway's figures for Workers Analytics Engine (wrangler.toml's optional `METRICS` dataset), so operators can
 * graph them with SQL without polling every object. Written only at points that exist anyway, never per message:
 *  - `connection`: once when a charge point connection ends (its close, a kick, a replacement, a lost socket);
 *  - `charge_point`: from a connected charge point's alarm, at most once per TICK_SLOT_MS slot of the clock (the
 *    alarm comes at least every 10 minutes while connected, so each 15-minute slot gets one point per charger);
 *  - `link`: from each shard's watchdog alarm (every minute while it holds charge points).
 * Counters are written as deltas since the connection's previous point (the baseline rides in the socket's
 * attachment, so hibernation loses nothing): summing a column over any time range gives the frames in that range.
 * Cloudflare bills each `writeDataPoint` call as one data point, whatever it holds
 * (https://developers.cloudflare.com/analytics/analytics-engine/pricing/), and allows 20 blobs, 20 doubles and one
 * index of at most 96 bytes (…/analytics-engine/limits/). The column layout is the contract of README "Metrics".
 */
import { errorMessage, log } from "../log";
import { protocolBySubprotocol } from "../ocpp/protocol";
import type { LinkStatus } from "../link/status";

/** The binding as far as the gateway uses it (the runtime's AnalyticsEngineDataset; a fake in unit tests). */
export interface DataPointSink {
  writeDataPoint(point: AnalyticsEngineDataPoint): void;
}

/** One `charge_point` point per charger per slot of this length (aligned to the clock, so slots line up across chargers). */
export const TICK_SLOT_MS = 15 * 60_000;
/** Analytics Engine refuses an index longer than this (bytes). */
const MAX_INDEX_BYTES = 96;
/** A link's last error is cut to this many characters (blobs share 16 KB per point). */
const MAX_ERROR_CHARS = 256;

/** A connection's counters, as its attachment keeps them. */
export interface ConnectionFigures {
  readonly cid: string;
  readonly protocol: string;
  readonly connectedAt: number;
  readonly recv: number;
  readonly sent: number;
  readonly malformed: number;
  readonly invalid: number;
  readonly callErrors: number;
  readonly dropped: number;
  /** What the connection's previous point covered (absent: nothing written yet). */
  reported?: Reported;
}

/** The counters as of the connection's last point, and the slot of its last `charge_point` point. */
export interface Reported {
  readonly slot: number;
  readonly recv: number;
  readonly sent: number;
  readonly malformed: number;
  readonly invalid: number;
  readonly callErrors: number;
  readonly dropped: number;
}

const COUNTERS = ["recv", "sent", "malformed", "invalid", "callErrors", "dropped"] as const;

/** For attachment validation: a baseline read back from storage is used only when it has this shape. */
export function isReported(v: unknown): v is Reported {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return Number.isInteger(r.slot) && COUNTERS.every((k) => Number.isInteger(r[k]) && (r[k] as number) >= 0);
}

/** A shard's broker link: state and counters (its status, src/link/status.ts). */
export type LinkFigures = Pick<
  LinkStatus,
  "shard" | "state" | "clientId" | "attached" | "connects" | "published" | "delivered" | "refused" | "dropped" | "sessionsDiscarded"
> & { readonly lastError?: { readonly message: string } };

/** Gauges read when a `charge_point` point is written. */
export interface ChargePointGauges {
  readonly outbox: number;
  readonly queue: number;
}

const encoder = new TextEncoder();

/** The id as an index: cut (at a character boundary) to what Analytics Engine accepts. */
function indexOf(id: string): string {
  if (encoder.encode(id).byteLength <= MAX_INDEX_BYTES) return id;
  let out = "";
  for (const ch of id) {
    if (encoder.encode(out + ch).byteLength > MAX_INDEX_BYTES) break;
    out += ch;
  }
  return out;
}

function versionOf(protocol: string): string {
  return protocolBySubprotocol(protocol)?.version ?? protocol;
}

export class GatewayAnalytics {
  constructor(private readonly sink: DataPointSink | undefined) {}

  /**
   * wrangler.toml's optional `[[analytics_engine_datasets]] binding = "METRICS"` (commented out there, so absent from
   * the generated Env): without it nothing is written.
   */
  static fromEnv(env: Env): GatewayAnalytics {
    return new GatewayAnalytics((env as Partial<Record<"METRICS", AnalyticsEngineDataset>>).METRICS);
  }

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  /** Whether a connected charge point's alarm at `now` should write its `charge_point` point (cheap: no I/O). */
  tickDue(figures: ConnectionFigures, now: number): boolean {
    return this.enabled && figures.reported?.slot !== Math.floor(now / TICK_SLOT_MS);
  }

  /**
   * The `charge_point` point: counters since the previous point, outbox depth and queue length. Updates the
   * baseline in `figures` (the caller writes the attachment back).
   */
  chargePointTick(figures: ConnectionFigures, gauges: ChargePointGauges, now: number): void {
    if (!this.tickDue(figures, now)) return;
    this.writeConnection("charge_point", figures, "", [gauges.outbox, gauges.queue, 0]);
    figures.reported = { slot: Math.floor(now / TICK_SLOT_MS), ...this.counters(figures) };
  }

  /** The `connection` point, once at the end: counters since the previous point, why it ended, how long it lasted. */
  connectionEnded(figures: ConnectionFigures, reason: string, now: number): void {
    if (!this.enabled) return;
    this.writeConnection("connection", figures, reason, [0, 0, Math.max(0, now - figures.connectedAt) / 1000]);
    figures.reported = { slot: figures.reported?.slot ?? 0, ...this.counters(figures) };
  }

  /** The `link` point, per watchdog tick: state and the counters since the shard's object started. */
  linkTick(link: LinkFigures): void {
    this.write({
      indexes: [`link-${link.shard}`],
      blobs: ["link", link.state, link.clientId, (link.lastError?.message ?? "").slice(0, MAX_ERROR_CHARS), link.shard.split("/")[0] ?? ""],
      doubles: [
        Number(link.shard.split("/")[1] ?? 0),
        link.state === "connected" ? 1 : 0,
        link.attached,
        link.connects,
        link.published,
        link.delivered,
        link.refused,
        link.dropped,
        link.sessionsDiscarded,
      ],
    });
  }

  private counters(figures: ConnectionFigures): Omit<Reported, "slot"> {
    return { recv: figures.recv, sent: figures.sent, malformed: figures.malformed, invalid: figures.invalid, callErrors: figures.callErrors, dropped: figures.dropped };
  }

  /** blob1 kind, blob2 OCPP version, blob3 id, blob4 end reason; double1–6 counter deltas, 7 outbox, 8 queue, 9 seconds. */
  private writeConnection(kind: string, figures: ConnectionFigures, reason: string, tail: readonly [number, number, number]): void {
    const base = figures.reported;
    const deltas = COUNTERS.map((k) => Math.max(0, figures[k] - (base?.[k] ?? 0)));
    this.write({ indexes: [indexOf(figures.cid)], blobs: [kind, versionOf(figures.protocol), figures.cid, reason], doubles: [...deltas, ...tail] });
  }

  /** Never throws: figures are not worth failing a close or an alarm over. */
  private write(point: AnalyticsEngineDataPoint): void {
    if (this.sink === undefined) return;
    try {
      this.sink.writeDataPoint(point);
    } catch (e) {
      log("warn", "analytics_write_failed", { kind: point.blobs?.[0], error: errorMessage(e) });
    }
  }
}
