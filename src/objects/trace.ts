/**
 * Live trace of one charge point: operators' WebSockets ("watchers") held by its ChargePoint object as hibernatable
 * sockets tagged `trace`, which get a copy of every frame in and out, every envelope published for the charge point
 * and every downstream envelope delivered to it, while they are open. Nothing is stored.
 *
 * The hot path pays one boolean test when nobody watches: `active` is kept in memory and is only true after a
 * watcher was accepted (or, after the object woke from hibernation, when the runtime still holds a `trace`
 * socket — looked up once per instance). Copies to watchers are outgoing WebSocket messages, which are not billed.
 */
import { errorMessage, log } from "../log";

export const TRACE_TAG = "trace";
/** Set by the Worker on a watcher's upgrade request, with the charge point id (never on a charge point's). */
export const TRACE_HEADER = "x-ocpp-gateway-trace";
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

export class TraceWatchers {
  /** Whether a watcher may be open (undefined: not looked up since this instance started). */
  private active: boolean | undefined;

  constructor(private readonly ctx: DurableObjectState) {}

  /** Whether a socket is a watcher (and so not the charge point's connection). */
  isWatcher(ws: WebSocket): boolean {
    return this.ctx.getTags(ws).includes(TRACE_TAG);
  }

  /** The charge point's sockets: every socket the object holds except watchers (filtered only while there are any). */
  chargePointSockets(): WebSocket[] {
    const all = this.ctx.getWebSockets();
    return this.watching ? all.filter((ws) => !this.isWatcher(ws)) : all;
  }

  /** Accepts a watcher, or answers 429 when the charge point has MAX_WATCHERS already. */
  accept(cid: string, connected: boolean, protocol: string | undefined): Response {
    if (this.open().length >= MAX_WATCHERS) {
      return Response.json({ code: "TOO_MANY_REQUESTS", message: `at most ${MAX_WATCHERS} watchers per charge point` }, { status: 429 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [TRACE_TAG]);
    this.active = true;
    server.send(JSON.stringify({ t: Date.now(), dir: "hello", cid, connected, protocol: protocol ?? null, max_text: TRACE_TEXT_MAX }));
    log("info", "trace_opened", { cid, watchers: this.open().length });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A watcher closed: reciprocated; the flag drops once the last one is gone. */
  closed(ws: WebSocket, code: number): void {
    try {
      ws.close(code, "trace ended");
    } catch {
      // already closed
    }
    // Looked up again when next needed: the runtime lists a closing socket for a moment longer.
    this.active = undefined;
  }

  /**
   * Whether anybody may be watching: the one test the hot path makes. False only when the runtime holds no `trace`
   * socket in any state, so while it is false every socket is the charge point's.
   */
  get watching(): boolean {
    this.active ??= this.ctx.getWebSockets(TRACE_TAG).length > 0;
    return this.active;
  }

  /**
   * Sends a copy to every watcher; a watcher that cannot take it is closed. Never throws. With `outstanding`, an
   * answer from the CSMS to one of them is labelled with that call's Action (parsed only here, while watched).
   */
  send(dir: TraceDirection, text: string, topic?: string, outstanding?: OutstandingCalls): void {
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
    const watchers = this.open();
    for (const ws of watchers) {
      try {
        ws.send(json);
      } catch (e) {
        log("warn", "trace_send_failed", { error: errorMessage(e) });
        this.closed(ws, 1011);
      }
    }
    if (watchers.length === 0) this.active = undefined;
  }

  private open(): WebSocket[] {
    return this.ctx.getWebSockets(TRACE_TAG).filter((ws) => ws.readyState === WebSocket.OPEN);
  }
}
