/**
 * Packet boundaries in an MQTT byte stream, read from each fixed header (MQTT 3.1.1 §2.2: one byte of type and
 * flags, then the Remaining Length in 1 to 4 bytes of 7 bits each, §2.2.3), so that a packet larger than a limit is
 * noticed from its header instead of being buffered whole. Bodies are skipped by counting; nothing is copied.
 */
export class PacketSizeGuard {
  /** Bytes of the current packet's body still to skip. */
  private remaining = 0;
  /** Header bytes of the current packet seen so far (0: between packets). */
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly limit: number) {}

  /**
   * Feeds the next chunk; returns the size of a packet over the limit when its header says so (the stream should
   * then be abandoned), otherwise undefined. A malformed length (a fifth length byte) is left to the parser.
   */
  feed(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.headerBytes === 0) {
        this.headerBytes = 1;
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.headerBytes++;
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if ((byte & 0x80) !== 0 && this.headerBytes < 5) continue;
      const size = this.headerBytes + this.length;
      if (size > this.limit) return size;
      this.remaining = this.length;
      this.headerBytes = 0;
    }
    return undefined;
  }
}
