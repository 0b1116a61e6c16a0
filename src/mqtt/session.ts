/**
 * One MQTT 3.1.1 client connection's protocol state, over an injected transport: CONNECT/CONNACK, the QoS 1
 * subscription, QoS 1 publishes confirmed by PUBACK, incoming publishes acknowledged in order, keepalive.
 * Encoding and decoding are mqtt-packet's (the MQTT.js project's codec). The owner (BrokerLink) opens the
 * socket, feeds received bytes in, and decides about reconnecting when the session reports it is closed.
 */
import { Buffer } from "node:buffer";
import mqttPacket from "mqtt-packet";
import type { IConnackPacket, IPublishPacket, Packet } from "mqtt-packet";
import {
  CONNACK_REASONS,
  PublishError,
  realTimers,
  type MqttSessionEvents,
  type MqttSessionOptions,
  type MqttTransport,
  type SessionEnd,
  type Timers,
} from "./session-types";

export * from "./session-types";

type Phase = "connecting" | "subscribing" | "ready" | "ended";

interface PendingAck {
  resolve(): void;
  reject(error: Error): void;
  timer: unknown;
}

/** A QoS 1 publish waiting for its PUBACK, and when it stops waiting. */
interface PendingPublish {
  resolve(): void;
  reject(error: Error): void;
  readonly deadline: number;
}

export class MqttSession {
  private phase: Phase = "connecting";
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  /**
   * Publishes waiting for their PUBACK, oldest first (a Map keeps insertion order, and every publish waits the same
   * time): one timer, armed for the oldest deadline, watches them all instead of a timer per publish.
   */
  private readonly inflight = new Map<number, PendingPublish>();
  private inflightTimer: unknown;
  private inflightTimerAt = Number.POSITIVE_INFINITY;
  /** SUBSCRIBEs sent after the handshake, waiting for their SUBACK. */
  private readonly subscribing = new Map<number, PendingAck>();
  /** UNSUBSCRIBEs waiting for their UNSUBACK. */
  private readonly unsubscribing = new Map<number, PendingAck>();
  /** Incoming QoS 1 publishes in arrival order; PUBACKs leave in this order (MQTT 3.1.1 §4.6). */
  private readonly ackQueue: { messageId: number; done: boolean }[] = [];
  private nextId = 1;
  private handshakeTimer: unknown;
  private keepaliveTimer: unknown;
  private pingOutstanding = false;
  private lastSentAt = 0;
  private subscribeId = 0;
  private sessionPresent = false;

  constructor(
    private readonly transport: MqttTransport,
    private readonly options: MqttSessionOptions,
    private readonly events: MqttSessionEvents,
    private readonly timers: Timers = realTimers,
  ) {
    this.parser.on("packet", (packet: Packet) => this.onPacket(packet));
    this.parser.on("error", (error: Error) => this.end({ kind: "protocol", message: error.message }));
  }

  get isReady(): boolean {
    return this.phase === "ready";
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  start(): void {
    this.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: this.options.clientId,
      clean: this.options.cleanSession,
      keepalive: this.options.keepaliveSeconds,
      ...(this.options.username === undefined ? {} : { username: this.options.username }),
      // mqtt-packet accepts a string password although its types say Buffer; a string also avoids Buffer
      // class mismatches between node:buffer and the `buffer` polyfill some bundlers substitute.
      ...(this.options.password === undefined ? {} : { password: this.options.password as unknown as Buffer }),
    });
    this.handshakeTimer = this.timers.setTimeout(() => {
      if (this.phase === "subscribing" && this.sessionPresent) {
        // The broker is there (CONNACK came) but the SUBACK is stuck behind what it resends from the session first.
        return this.end({ kind: "stalled", message: "resumed session: no SUBACK in time after CONNACK" });
      }
      this.end({ kind: "timeout", message: "no CONNACK/SUBACK in time" });
    }, this.options.ackTimeoutMs);
  }

  /** Bytes received from the transport (a WebSocket message may hold part of a packet or several). */
  receive(bytes: Uint8Array): void {
    if (this.phase === "ended") return;
    this.parser.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** QoS 1 publish; resolves on PUBACK. */
  publish(topic: string, payload: string, retain = false): Promise<void> {
    if (this.phase !== "ready") return Promise.reject(new PublishError("MQTT session is not ready"));
    const messageId = this.allocateId();
    return new Promise<void>((resolve, reject) => {
      const deadline = this.timers.now() + this.options.ackTimeoutMs;
      this.inflight.set(messageId, { resolve, reject, deadline });
      if (this.inflightTimerAt === Number.POSITIVE_INFINITY) this.watchInflight(deadline);
      this.send({
        cmd: "publish",
        topic,
        payload,
        qos: 1,
        messageId,
        retain,
        dup: false,
      });
    });
  }

  /** Subscribes to more filters (QoS 1) on a ready session; resolves on SUBACK. */
  subscribe(filters: readonly string[]): Promise<void> {
    return this.request(this.subscribing, "SUBACK", (messageId) => ({
      cmd: "subscribe",
      messageId,
      subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })),
    }));
  }

  /**
   * Removes filters from the broker's session (MQTT 3.1.1 §3.10); resolves on UNSUBACK. A persistent session keeps
   * every filter ever subscribed until it is unsubscribed, across reconnects.
   */
  unsubscribe(filters: readonly string[]): Promise<void> {
    return this.request(this.unsubscribing, "UNSUBACK", (messageId) => ({ cmd: "unsubscribe", messageId, unsubscriptions: [...filters] }));
  }

  private request(pending: Map<number, PendingAck>, ack: string, packet: (messageId: number) => Packet): Promise<void> {
    if (this.phase !== "ready") return Promise.reject(new PublishError("MQTT session is not ready"));
    const messageId = this.allocateId();
    return new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        pending.delete(messageId);
        reject(new PublishError(`no ${ack} for packet ${messageId} within ${this.options.ackTimeoutMs} ms`));
      }, this.options.ackTimeoutMs);
      pending.set(messageId, { resolve, reject, timer });
      this.send(packet(messageId));
    });
  }

  /** Ends the session from outside (transport closed); pending publishes are rejected. */
  end(end: SessionEnd): void {
    if (this.phase === "ended") return;
    this.phase = "ended";
    this.timers.clearTimeout(this.handshakeTimer);
    this.timers.clearTimeout(this.keepaliveTimer);
    this.timers.clearTimeout(this.inflightTimer);
    this.inflightTimerAt = Number.POSITIVE_INFINITY;
    for (const pending of [this.inflight, this.subscribing, this.unsubscribing]) {
      for (const [, p] of pending) {
        if ("timer" in p) this.timers.clearTimeout(p.timer);
        p.reject(new PublishError(`MQTT connection ended: ${end.message}`));
      }
      pending.clear();
    }
    this.events.onEnd(end);
  }

  /** Sends DISCONNECT (MQTT 3.1.1 §3.14) and ends the session. */
  disconnect(message = "disconnected by the gateway"): void {
    if (this.phase === "ended") return;
    this.send({ cmd: "disconnect" });
    this.end({ kind: "closed", message });
  }

  /** Arms the watch for the oldest waiting publish; a PUBACK missing at its deadline ends the session. */
  private watchInflight(at: number): void {
    this.inflightTimerAt = at;
    this.inflightTimer = this.timers.setTimeout(
      () => {
        this.inflightTimerAt = Number.POSITIVE_INFINITY;
        if (this.phase === "ended") return;
        const oldest = this.inflight.entries().next();
        if (oldest.done === true) return;
        const [messageId, p] = oldest.value;
        if (p.deadline > this.timers.now()) return this.watchInflight(p.deadline);
        this.inflight.delete(messageId);
        p.reject(new PublishError(`no PUBACK for packet ${messageId} within ${this.options.ackTimeoutMs} ms`));
        this.end({ kind: "timeout", message: "PUBACK missing" });
      },
      Math.max(0, at - this.timers.now()),
    );
  }

  private allocateId(): number {
    for (let i = 0; i < 65535; i++) {
      const id = this.nextId;
      this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
      if (!this.inflight.has(id) && !this.subscribing.has(id) && !this.unsubscribing.has(id) && id !== this.subscribeId) return id;
    }
    throw new PublishError("no free MQTT packet identifier");
  }

  /**
   * A transport that can no longer send (a WebSocket that closed before its close event ran) ends the session
   * rather than throwing into a timer or an event handler.
   */
  private send(packet: Packet): void {
    if (this.phase === "ended") return;
    this.lastSentAt = this.timers.now();
    try {
      const pieces = new PacketPieces();
      mqttPacket.writeToStream(packet, pieces as unknown as Parameters<typeof mqttPacket.writeToStream>[1]);
      this.transport.send(pieces.parts);
    } catch (e) {
      this.end({ kind: "closed", message: `cannot send: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private onPacket(packet: Packet): void {
    if (this.phase === "ended") return;
    switch (packet.cmd) {
      case "connack":
        return this.onConnack(packet);
      case "suback": {
        const later = packet.messageId === undefined ? undefined : this.subscribing.get(packet.messageId);
        if (later !== undefined) {
          this.timers.clearTimeout(later.timer);
          this.subscribing.delete(packet.messageId as number);
          const refused = packet.granted.some((g) => typeof g !== "number" || g > 2);
          return refused ? later.reject(new PublishError("subscription refused by the broker")) : later.resolve();
        }
        if (this.phase !== "subscribing" || packet.messageId !== this.subscribeId) return;
        if (packet.granted.some((g) => typeof g !== "number" || g > 2)) {
          return this.end({ kind: "refused", returnCode: 0x80, message: "subscription refused by the broker" });
        }
        return this.becomeReady();
      }
      case "unsuback": {
        const p = packet.messageId === undefined ? undefined : this.unsubscribing.get(packet.messageId);
        if (p === undefined) return;
        this.timers.clearTimeout(p.timer);
        this.unsubscribing.delete(packet.messageId as number);
        return p.resolve();
      }
      case "puback": {
        const p = packet.messageId === undefined ? undefined : this.inflight.get(packet.messageId);
        if (p === undefined) return;
        // The watch timer stays: when it fires it moves on to the oldest publish still waiting.
        this.inflight.delete(packet.messageId as number);
        return p.resolve();
      }
      case "publish":
        return this.onPublish(packet);
      case "pubrel":
        // QoS 2 delivery (only if a broker upgrades our QoS 1 subscription): complete the handshake.
        return this.send({ cmd: "pubcomp", messageId: packet.messageId as number });
      case "pingresp":
        this.pingOutstanding = false;
        return;
      default:
        return;
    }
  }

  private onConnack(packet: IConnackPacket): void {
    if (this.phase !== "connecting") return;
    const code = packet.returnCode ?? 0;
    if (code !== 0) {
      return this.end({
        kind: "refused",
        returnCode: code,
        message: `broker refused the connection: ${CONNACK_REASONS[code] ?? `return code ${code}`}`,
      });
    }
    this.sessionPresent = packet.sessionPresent;
    if (this.options.subscriptions.length === 0) return this.becomeReady();
    this.phase = "subscribing";
    this.subscribeId = this.allocateId();
    this.send({
      cmd: "subscribe",
      messageId: this.subscribeId,
      subscriptions: this.options.subscriptions.map((topic) => ({ topic, qos: 1 as const })),
    });
  }

  private becomeReady(): void {
    this.timers.clearTimeout(this.handshakeTimer);
    this.phase = "ready";
    this.scheduleKeepalive();
    this.events.onReady(this.sessionPresent);
  }

  private onPublish(packet: IPublishPacket): void {
    const payload = typeof packet.payload === "string" ? new TextEncoder().encode(packet.payload) : packet.payload;
    const qos = packet.qos;
    const entry = qos === 1 && packet.messageId !== undefined ? { messageId: packet.messageId, done: false } : undefined;
    if (entry !== undefined) this.ackQueue.push(entry);
    if (qos === 2 && packet.messageId !== undefined) this.send({ cmd: "pubrec", messageId: packet.messageId });
    const settle = (): void => {
      if (entry === undefined) return;
      entry.done = true;
      this.flushAcks();
    };
    let handled: Promise<void>;
    try {
      handled = this.events.onMessage(packet.topic, payload, { retain: packet.retain, dup: packet.dup });
    } catch (e) {
      handled = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    handled.then(settle, settle);
  }

  private flushAcks(): void {
    while (this.ackQueue.length > 0 && this.ackQueue[0]?.done === true) {
      const { messageId } = this.ackQueue.shift() as { messageId: number };
      if (this.phase !== "ended") this.send({ cmd: "puback", messageId });
    }
  }

  private scheduleKeepalive(): void {
    if (this.options.keepaliveSeconds <= 0) return;
    const halfMs = (this.options.keepaliveSeconds * 1000) / 2;
    this.keepaliveTimer = this.timers.setTimeout(() => {
      if (this.phase !== "ready") return;
      if (this.pingOutstanding) return this.end({ kind: "timeout", message: "no PINGRESP from the broker" });
      if (this.timers.now() - this.lastSentAt >= halfMs) {
        this.pingOutstanding = true;
        this.send({ cmd: "pingreq" });
      }
      this.scheduleKeepalive();
    }, halfMs);
  }
}

const encoder = new TextEncoder();

/**
 * Where mqtt-packet's `writeToStream` puts one packet: its header, numbers, topic and payload as separate pieces,
 * which the transport's write batch copies once into the turn's single write. (`generate` would first join them
 * into a Buffer of their own: a second allocation and copy per packet.) An invalid packet throws, as `generate`
 * does.
 */
class PacketPieces {
  readonly parts: Uint8Array[] = [];

  write(chunk: Uint8Array | string): boolean {
    this.parts.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    return true;
  }

  destroy(error?: Error): void {
    if (error !== undefined) throw error;
  }
}
