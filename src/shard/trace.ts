/**
 * Live trace of charge points: operators' WebSockets ("watchers") held by the shard, which get a copy of every
 * frame in and out, every envelope published for that charge point and every downstream envelope delivered to it,
 * while they are open. Nothing is stored. Watchers are kept apart from charge points' sockets: a watcher is never
 * taken for a charge point, and what it sends goes nowhere.
 *
 * The hot path pays one Map lookup when nobody watches. Copies to watchers are outgoing WebSocket messages, which
 * are not billed.
 */
import { errorMessage, log } from "../log";

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
  /**
   * On an answer to one of the charge point's calls still outstanding (a CALLRESULT or CALLERROR, `down` from the
   * CSMS and `out` to the charge point): the Action of that call, which the OCPP-J frame does not name (OCPP-J 1.6
   * §4.2.2-4.2.3) and the CSMS's envelope need not.
   */
  readonly action?: string;
  readonly text: string;
  readonly len: number;
  readonly truncated: boolean;
}

/** The charge point's calls waiting for the CSMS's answer, as the session keeps them: [UniqueId, Action]. */
export type OutstandingCalls = readonly (readonly [string, string])[];

/**
 * The UniqueId a CALLRESULT or CALLERROR answers, for a frame to the charge point (`[3|4, id, …]`) or an envelope
 * from the CSMS (`{"MessageTypeId": 3|4, "UniqueId": id}`); undefined for anything else.
 */
export function answeredId(dir: TraceDirection, text: string): string | undefined {
  if (dir !== "out" && dir !== "down") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const [type, id] = Array.isArray(value)
    ? [value[0], value[1]]
    : typeof value === "object" && value !== null
      ? [(value as Record<string, unknown>).MessageTypeId, (value as Record<string, unknown>).UniqueId]
      : [];
  return (type === 3 || type === 4) && typeof id === "string" ? id : undefined;
}

export class ShardTrace {
  /** Open watchers by the charge point they watch. */
  private readonly watchers = new Map<string, Set<WebSocket>>();

  /** The one test the hot path makes. */
  watching(cid: string): boolean {
    return this.watchers.size > 0 && this.watchers.has(cid);
  }

  /** Accepts a watcher, or answers 429 when the charge point has MAX_WATCHERS already. */
  accept(cid: string, connected: boolean, protocol: string | undefined): Response {
    const set = this.watchers.get(cid) ?? new Set<WebSocket>();
    if (set.size >= MAX_WATCHERS) {
      return Response.json({ code: "TOO_MANY_REQUESTS", message: `at most ${MAX_WATCHERS} watchers per charge point` }, { status: 429 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    server.accept({ allowHalfOpen: true });
    set.add(server);
    this.watchers.set(cid, set);
    const end = (code: number): void => this.closed(cid, server, code === 1005 || code === 1006 || code === 1015 ? 1000 : code);
    server.addEventListener("close", (event: CloseEvent) => end(event.code));
    // An errored socket is gone: closing it again would only make the runtime report the failed write.
    server.addEventListener("error", () => this.closed(cid, server, 1011, "trace ended", false));
    server.send(JSON.stringify({ t: Date.now(), dir: "hello", cid, connected, protocol: protocol ?? null, max_text: TRACE_TEXT_MAX }));
    log("info", "trace_opened", { cid, watchers: set.size });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Closes every watcher of a charge point that moved to another shard (its watchers reconnect through the Worker). */
  closeAll(cid: string, why: string): void {
    for (const ws of this.watchers.get(cid) ?? []) this.closed(cid, ws, 1012, why);
  }

  /**
   * Sends a copy to every watcher of `cid`; a watcher that cannot take it is closed. Never throws. With
   * `outstanding`, an answer from the CSMS to one of them is labelled with that call's Action (parsed only here,
   * while watched).
   */
  send(cid: string, dir: TraceDirection, text: string, topic?: string, outstanding?: OutstandingCalls): void {
    const watchers = this.watchers.get(cid);
    if (watchers === undefined) return;
    const truncated = text.length > TRACE_TEXT_MAX;
    const id = outstanding === undefined || outstanding.length === 0 ? undefined : answeredId(dir, text);
    const action = id === undefined ? undefined : outstanding?.find(([uniqueId]) => uniqueId === id)?.[1];
    const record: TraceRecord = {
      t: Date.now(),
      dir,
      ...(topic === undefined ? {} : { topic }),
      ...(action === undefined ? {} : { action }),
      text: truncated ? text.slice(0, TRACE_TEXT_MAX) : text,
      len: text.length,
      truncated,
    };
    const json = JSON.stringify(record);
    for (const ws of watchers) {
      try {
        ws.send(json);
      } catch (e) {
        log("warn", "trace_send_failed", { cid, error: errorMessage(e) });
        this.closed(cid, ws, 1011);
      }
    }
  }

  /** A watcher ended: reciprocated and forgotten. */
  private closed(cid: string, ws: WebSocket, code: number, why = "trace ended", reciprocate = true): void {
    try {
      if (reciprocate) ws.close(code, why);
    } catch {
      // already closed
    }
    const set = this.watchers.get(cid);
    set?.delete(ws);
    if (set?.size === 0) this.watchers.delete(cid);
  }
}
