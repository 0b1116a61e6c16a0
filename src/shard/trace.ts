/**
 * Live trace of charge points: operators' WebSockets ("watchers") held by the shard as hibernatable sockets tagged
 * `trace` and `trace:<id>`, which get a copy of every frame in and out, every envelope published for that charge
 * point and every downstream envelope delivered to it, while they are open. Nothing is stored.
 *
 * The hot path pays one Set lookup when nobody watches: the ids with watchers are kept in memory, rebuilt from the
 * runtime's list of `trace` sockets when the object starts. Copies to watchers are outgoing WebSocket messages,
 * which are not billed.
 */
import { errorMessage, log } from "../log";
import { fnv1a64 } from "./address";

export const TRACE_TAG = "trace";
/** Set by the Worker on a watcher's upgrade request, with the charge point id (never on a charge point's). */
export const TRACE_HEADER = "x-ocpp-gateway-trace";
/** With it, the name of the shard the Worker addressed (a shard learns its name from its first request). */
export const TRACE_SHARD_HEADER = "x-ocpp-gateway-shard";
/** Watchers per charge point: a trace is for debugging, not for fan-out. */
export const MAX_WATCHERS = 4;
/** Characters of a frame or envelope copied to watchers; the rest is cut and `len` tells the whole length. */
export const TRACE_TEXT_MAX = 8192;

/** What passed: a frame from (`in`) or to (`out`) the charge point, an envelope published (`up`) or delivered (`down`). */
export type TraceDirection = "in" | "out" | "up" | "down";

export interface TraceRecord {
  readonly t: number;
  readonly dir: TraceDirection;
  readonly topic?: string;
  readonly text: string;
  readonly len: number;
  readonly truncated: boolean;
}

/**
 * A watcher's second tag: `trace:` and the FNV-1a 64 of the id in hex (tags are limited to 256 characters, an id to
 * 256 bytes); the watcher's attachment holds the id itself, checked before anything is sent.
 */
const tagOf = (cid: string): string => `${TRACE_TAG}:${fnv1a64(cid).toString(16)}`;

/** The charge point a watcher watches (its attachment). */
function watchedBy(ws: WebSocket): string | undefined {
  const a: unknown = ws.deserializeAttachment();
  return typeof a === "object" && a !== null && typeof (a as { watching?: unknown }).watching === "string" ? (a as { watching: string }).watching : undefined;
}

export class ShardTrace {
  /** Charge points with at least one watcher (undefined: not looked up since this instance started). */
  private cids: Set<string> | undefined;

  constructor(private readonly ctx: DurableObjectState) {}

  /** Whether a socket is a watcher (and so never a charge point's connection). */
  isWatcher(ws: WebSocket): boolean {
    return this.ctx.getTags(ws).includes(TRACE_TAG);
  }

  /** The one test the hot path makes. */
  watching(cid: string): boolean {
    this.cids ??= this.lookup();
    return this.cids.size > 0 && this.cids.has(cid);
  }

  /** Accepts a watcher, or answers 429 when the charge point has MAX_WATCHERS already. */
  accept(cid: string, connected: boolean, protocol: string | undefined): Response {
    if (this.open(cid).length >= MAX_WATCHERS) {
      return Response.json({ code: "TOO_MANY_REQUESTS", message: `at most ${MAX_WATCHERS} watchers per charge point` }, { status: 429 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [TRACE_TAG, tagOf(cid)]);
    server.serializeAttachment({ watching: cid });
    (this.cids ??= this.lookup()).add(cid);
    server.send(JSON.stringify({ t: Date.now(), dir: "hello", cid, connected, protocol: protocol ?? null, max_text: TRACE_TEXT_MAX }));
    log("info", "trace_opened", { cid, watchers: this.open(cid).length });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A watcher closed: reciprocated; looked up again when next needed (the runtime lists a closing socket a moment longer). */
  closed(ws: WebSocket, code: number): void {
    try {
      ws.close(code, "trace ended");
    } catch {
      // already closed
    }
    this.cids = undefined;
  }

  /** Closes every watcher of a charge point that moved to another shard (its watchers reconnect through the Worker). */
  closeAll(cid: string, why: string): void {
    for (const ws of this.ctx.getWebSockets(tagOf(cid)).filter((w) => watchedBy(w) === cid)) {
      try {
        ws.close(1012, why);
      } catch {
        // already closed
      }
    }
    this.cids = undefined;
  }

  /** Sends a copy to every watcher of `cid`; a watcher that cannot take it is closed. Never throws. */
  send(cid: string, dir: TraceDirection, text: string, topic?: string): void {
    const truncated = text.length > TRACE_TEXT_MAX;
    const record: TraceRecord = {
      t: Date.now(),
      dir,
      ...(topic === undefined ? {} : { topic }),
      text: truncated ? text.slice(0, TRACE_TEXT_MAX) : text,
      len: text.length,
      truncated,
    };
    const json = JSON.stringify(record);
    const watchers = this.open(cid);
    for (const ws of watchers) {
      try {
        ws.send(json);
      } catch (e) {
        log("warn", "trace_send_failed", { cid, error: errorMessage(e) });
        this.closed(ws, 1011);
      }
    }
    if (watchers.length === 0) this.cids = undefined;
  }

  private lookup(): Set<string> {
    const cids = new Set<string>();
    for (const ws of this.ctx.getWebSockets(TRACE_TAG)) {
      const cid = watchedBy(ws);
      if (cid !== undefined) cids.add(cid);
    }
    return cids;
  }

  private open(cid: string): WebSocket[] {
    return this.ctx.getWebSockets(tagOf(cid)).filter((ws) => ws.readyState === WebSocket.OPEN && watchedBy(ws) === cid);
  }
}
