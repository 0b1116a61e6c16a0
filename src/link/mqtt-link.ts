/**
 * A gateway shard's own MQTT 3.1.1 connection to the broker, over TCP or WebSocket (transport.ts): a fixed client id
 * with a persistent session (clean session off), so commands published while it reconnects are delivered after;
 * QoS 1 publishes that resolve on PUBACK; reconnects with exponential backoff and jitter; a message the runtime
 * cannot receive (over 32 MiB) makes the next connection discard the broker's session once (recovery.ts). The
 * shard decides what to subscribe (per charge point) once the link is up; the handshake subscribes the shard's own
 * control filter, whose SUBACK tells that a resumed session's backlog got through. Not a Durable Object: the shard
 * composes it and keeps it connected.
 */
import { errorMessage, log } from "../log";
import { backoffDelay } from "../mqtt/backoff";
import { MqttSession, type IncomingFlags, type SessionEnd } from "../mqtt/session";
import { SessionRecovery, STALLED_RESUMES_BEFORE_DISCARD } from "./recovery";
import { LinkUnavailableError, type LinkCounters, type LinkState } from "./status";
import { openTransport, transportOf, type LinkTransport, type TransportEnd } from "./transport";
import { ReadyWaiters } from "./waiters";

/** How long a publish waits for the link to (re)connect before failing (the outbox keeps it then). */
export const READY_WAIT_MS = 5_000;
const ACK_TIMEOUT_MS = 10_000;
const KEEPALIVE_SECONDS = 30;
/** A broker that refuses our credentials is retried slowly, never in a hot loop. */
const AUTH_RETRY_MS = 60_000;

export interface LinkSettings {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** The client certificate binding (`BROKER_MTLS`), when one is bound. */
  readonly mtls?: Fetcher;
  /** Subscribed (QoS 1) in every connection's handshake. */
  readonly handshakeFilters: readonly string[];
}

export interface LinkHandlers {
  /** A PUBLISH from the broker; acknowledged when the promise settles. */
  message(topic: string, payload: Uint8Array, flags: IncomingFlags): Promise<void>;
  /** A persistent session is up; `sessionPresent`: the broker kept the earlier session's subscriptions. */
  up(session: MqttSession, sessionPresent: boolean): void;
  /** The connection ended (a new one is being prepared). */
  down(): void;
}

export class MqttLink {
  private linkState: LinkState = "idle";
  private session: MqttSession | undefined;
  private transport: LinkTransport | undefined;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiters = new ReadyWaiters();
  private readonly recovery = new SessionRecovery();
  /** The broker refused our credentials: nothing will change before the slow retry, so publishes fail at once. */
  private authRefused = false;
  lastError: { at: number; message: string } | undefined;
  readonly counters: LinkCounters = { connects: 0, published: 0, delivered: 0, refused: 0, dropped: 0, sessionsDiscarded: 0 };

  constructor(
    /** The link's name in logs (the shard's). */
    private readonly name: string,
    /** Read at every connection attempt; an Error says why the link cannot connect (shown as its last error). */
    private readonly settings: () => LinkSettings | Error,
    private readonly handlers: LinkHandlers,
  ) {}

  get state(): LinkState {
    return this.linkState;
  }

  /** The live session, when connected. */
  get ready(): MqttSession | undefined {
    return this.linkState === "connected" && this.session?.isReady === true ? this.session : undefined;
  }

  transportKind(): string {
    const settings = this.settings();
    return settings instanceof Error ? "unknown" : (transportOf(settings.url)?.kind ?? "unknown");
  }

  /** Starts connecting if it is not connected or waiting to retry. */
  start(): void {
    if (this.linkState !== "idle") return;
    this.linkState = "connecting";
    try {
      this.open();
    } catch (e) {
      this.onSessionEnd(undefined, { kind: "closed", message: errorMessage(e) });
    }
  }

  /** The live session, waiting (bounded) for a connection. */
  whenReady(waitMs = READY_WAIT_MS): Promise<MqttSession> {
    const ready = this.ready;
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.linkState === "waiting" && this.authRefused) return Promise.reject(this.unavailable());
    this.start();
    return this.waiters.wait(waitMs, () => this.unavailable());
  }

  /** QoS 1; resolves on PUBACK, rejects with LinkUnavailableError when the broker cannot confirm it. */
  async publish(topic: string, payload: string, retain = false): Promise<void> {
    const session = await this.whenReady();
    try {
      await session.publish(topic, payload, retain);
    } catch (e) {
      throw new LinkUnavailableError(errorMessage(e));
    }
    this.counters.published++;
  }

  /**
   * Drops the connection and comes back with a new one at once (for an operator, e.g. after changing the broker
   * credentials); `fresh` also forgets the link's in-memory state, as a restart of its object would.
   */
  restart(why: string, fresh = false): void {
    log("warn", "link_restart", { link: this.name, fresh });
    if (fresh) {
      this.attempt = 0;
      this.authRefused = false;
    }
    if (this.session !== undefined) {
      this.recovery.reconnectAtOnce();
      this.session.disconnect(why);
    } else if (this.linkState === "waiting") {
      this.retryAt(0);
    }
  }

  /** Closes the connection for good (the shard has nothing left to relay). */
  stop(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const session = this.session;
    this.session = undefined;
    this.linkState = "idle";
    session?.disconnect("the shard has no charge points left");
    this.transport?.close();
    this.transport = undefined;
  }

  private unavailable(): LinkUnavailableError {
    return new LinkUnavailableError(`broker link ${this.name} unavailable: ${this.lastError?.message ?? "not connected yet"}`);
  }

  private open(): void {
    const settings = this.settings();
    if (settings instanceof Error) throw settings;
    const clean = this.recovery.discardNext;
    const filters = clean ? [] : [...settings.handshakeFilters];
    let session: MqttSession | undefined;
    const transport = openTransport(
      settings.url,
      this.name,
      {
        open: () => session?.start(),
        bytes: (data) => session?.receive(data),
        end: (end) => this.onTransportEnd(session, end),
      },
      settings.mtls,
    );
    session = new MqttSession(
      { send: (packet) => transport.send(packet) },
      {
        clientId: settings.clientId,
        ...(settings.username ? { username: settings.username } : {}),
        ...(settings.password ? { password: settings.password } : {}),
        keepaliveSeconds: KEEPALIVE_SECONDS,
        cleanSession: clean,
        subscriptions: filters,
        ackTimeoutMs: ACK_TIMEOUT_MS,
      },
      {
        onReady: (sessionPresent) => this.onReady(session as MqttSession, sessionPresent, clean),
        onMessage: (topic, payload, flags) => this.handlers.message(topic, payload, flags),
        onEnd: (end) => this.onSessionEnd(session, end),
      },
    );
    this.session = session;
    this.transport = transport;
  }

  private onTransportEnd(session: MqttSession | undefined, end: TransportEnd): void {
    if (end.tooBig && session !== undefined && this.session === session) {
      this.recovery.tooBig();
      this.logDiscard("link_message_too_big", end.message);
    }
    session?.end({ kind: "closed", message: end.message });
  }

  /** The next connection discards the broker session (recovery.ts). */
  private logDiscard(event: string, why: string): void {
    this.lastError = { at: Date.now(), message: why };
    log("error", event, {
      link: this.name,
      error: why,
      action: "reconnecting once with a clean session: the broker discards the messages queued for this link",
    });
  }

  private onReady(session: MqttSession, sessionPresent: boolean, clean: boolean): void {
    if (this.session !== session) return;
    if (clean) {
      this.recovery.discarded();
      this.counters.sessionsDiscarded++;
      log("error", "link_session_discarded", { link: this.name });
      session.disconnect("broker session discarded; reconnecting with a persistent session");
      return;
    }
    this.linkState = "connected";
    this.attempt = 0;
    this.recovery.connected();
    this.authRefused = false;
    this.counters.connects++;
    this.lastError = undefined;
    log("info", "link_connected", { link: this.name, sessionPresent });
    this.waiters.resolveAll(session);
    this.handlers.up(session, sessionPresent);
  }

  private onSessionEnd(session: MqttSession | undefined, end: SessionEnd): void {
    if (session !== undefined && this.session !== session) return;
    const wasConnected = this.linkState === "connected";
    this.session = undefined;
    this.transport?.close();
    this.transport = undefined;
    if (end.kind === "stalled" && this.recovery.stalled()) {
      this.logDiscard("link_session_stalled", `${STALLED_RESUMES_BEFORE_DISCARD} resumed sessions in a row stalled before their SUBACK (${end.message})`);
    }
    const authProblem = end.kind === "refused" && (end.returnCode === 4 || end.returnCode === 5);
    this.authRefused = authProblem;
    const now = this.recovery.takeReconnectNow();
    if (!now) this.lastError = { at: Date.now(), message: end.message };
    const delay = authProblem ? AUTH_RETRY_MS : now ? 0 : backoffDelay(this.attempt++);
    log(authProblem ? "error" : now ? "info" : "warn", "link_down", { link: this.name, reason: end.message, retryInMs: delay });
    if (authProblem) this.waiters.rejectAll(this.unavailable());
    this.retryAt(delay);
    if (wasConnected) this.handlers.down();
  }

  private retryAt(delay: number): void {
    this.linkState = "waiting";
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.linkState = "idle";
      this.start();
    }, delay);
  }
}
