/** The MQTT session's interfaces: its transport and timers, its options, and what it reports to its owner. */

export interface MqttTransport {
  /** One MQTT packet, as the pieces the codec wrote (some shared and constant: copy, never keep or change them). */
  send(packet: readonly Uint8Array[]): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface MqttSessionOptions {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** MQTT 3.1.1 §3.1.2.10; 0 turns keepalive off. */
  readonly keepaliveSeconds: number;
  readonly cleanSession: boolean;
  /** Filters subscribed with QoS 1 once connected. */
  readonly subscriptions: readonly string[];
  /** How long CONNACK, SUBACK, UNSUBACK, PUBACK and PINGRESP may take. */
  readonly ackTimeoutMs: number;
}

/**
 * Why a session ended; `refused` carries the CONNACK return code (MQTT 3.1.1 §3.2.2.3); `stalled`: the broker
 * accepted the connection and resumed a session, but the handshake's SUBACK did not follow in time.
 */
export type SessionEnd =
  | { readonly kind: "refused"; readonly returnCode: number; readonly message: string }
  | { readonly kind: "protocol"; readonly message: string }
  | { readonly kind: "timeout"; readonly message: string }
  | { readonly kind: "stalled"; readonly message: string }
  | { readonly kind: "closed"; readonly message: string };

/** Header flags of an incoming PUBLISH that matter to its receiver (MQTT 3.1.1 §3.3.1). */
export interface IncomingFlags {
  /**
   * RETAIN: set by a broker only on a retained message sent because of a new subscription, clear on a message
   * forwarded to an existing one [MQTT-3.3.1-8], [MQTT-3.3.1-9] (some brokers also set it on retained messages
   * queued for a persistent session).
   */
  readonly retain: boolean;
  /** DUP: the broker may have sent this packet before [MQTT-3.3.1-1]. */
  readonly dup: boolean;
}

export interface MqttSessionEvents {
  /** CONNACK accepted and every subscription granted. */
  onReady(sessionPresent: boolean): void;
  /**
   * An application message; it is acknowledged (QoS 1) when the returned promise settles, whether it resolves or
   * rejects (a message the owner cannot handle would otherwise come back on every reconnect).
   */
  onMessage(topic: string, payload: Uint8Array, flags: IncomingFlags): Promise<void>;
  /** The session cannot continue; the owner closes the transport. Called once. */
  onEnd(end: SessionEnd): void;
}

export class PublishError extends Error {
  override readonly name = "PublishError";
}

export const CONNACK_REASONS: Readonly<Record<number, string>> = {
  1: "unacceptable protocol version",
  2: "client identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};
