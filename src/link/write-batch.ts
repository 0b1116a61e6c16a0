/**
 * Bytes handed to a link's transport in one turn of the event loop leave as one write: the MQTT packets one event
 * produces (a PUBLISH and the PUBACKs that became due with it) cost one socket write instead of one each. MQTT
 * allows it on either transport: a TCP stream carries packets back to back (MQTT 3.1.1 §4.2), and one WebSocket
 * message may hold several packets (§6.0). The batch is written when the turn's microtasks reach it, so nothing
 * waits for a timer; `flush()` writes it at once (before a close, so a DISCONNECT is not lost), as does a batch
 * reaching MAX_BATCH_BYTES.
 */
/** A batch this large is written at once: no WebSocket message or write grows without bound in a busy turn. */
export const MAX_BATCH_BYTES = 64 * 1024;

export class WriteBatch {
  private parts: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly write: (bytes: Uint8Array) => void) {}

  /**
   * One packet's pieces. They are copied at the flush, never written as they are: the codec's pieces include
   * constants it shares between packets. The size check comes after a whole packet, so a WebSocket message never
   * ends inside one.
   */
  add(packet: readonly Uint8Array[]): void {
    if (this.parts.length === 0) queueMicrotask(() => this.flush());
    for (const piece of packet) {
      this.parts.push(piece);
      this.size += piece.byteLength;
    }
    if (this.size >= MAX_BATCH_BYTES) this.flush();
  }

  flush(): void {
    const parts = this.parts;
    if (parts.length === 0) return;
    const size = this.size;
    this.parts = [];
    this.size = 0;
    const joined = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.byteLength;
    }
    this.write(joined);
  }
}
