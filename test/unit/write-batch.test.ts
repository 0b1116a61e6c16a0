import { describe, expect, it } from "vitest";
import { MAX_BATCH_BYTES, WriteBatch } from "../../src/link/write-batch";

describe("WriteBatch", () => {
  it("writes what one turn handed over as one write, in order, once the code running now is done", async () => {
    const writes: number[][] = [];
    const batch = new WriteBatch((bytes) => writes.push([...bytes]));
    batch.add([Uint8Array.of(1), Uint8Array.of(2)]);
    batch.add([Uint8Array.of(3)]);
    batch.add([Uint8Array.of(4)]);
    expect(writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(writes).toEqual([[1, 2, 3, 4]]);
    batch.add([Uint8Array.of(5)]);
    await new Promise((r) => setTimeout(r, 0));
    expect(writes).toEqual([[1, 2, 3, 4], [5]]);
  });

  it("flush() writes at once (before a close) and leaves nothing for the queued turn", async () => {
    const writes: number[][] = [];
    const batch = new WriteBatch((bytes) => writes.push([...bytes]));
    batch.add([Uint8Array.of(0xe0, 0x00)]);
    batch.flush();
    expect(writes).toEqual([[0xe0, 0x00]]);
    await new Promise((r) => setTimeout(r, 0));
    expect(writes).toHaveLength(1);
  });

  it("a batch that reaches MAX_BATCH_BYTES is written at once; what follows starts a new one", async () => {
    const writes: number[] = [];
    const batch = new WriteBatch((bytes) => writes.push(bytes.byteLength));
    const half = new Uint8Array(MAX_BATCH_BYTES / 2);
    batch.add([half]);
    expect(writes).toEqual([]);
    batch.add([half]);
    expect(writes).toEqual([MAX_BATCH_BYTES]);
    batch.add([Uint8Array.of(1)]);
    await new Promise((r) => setTimeout(r, 0));
    expect(writes).toEqual([MAX_BATCH_BYTES, 1]);
  });

  it("copies what it writes, even a single piece (the codec shares its constant pieces between packets)", async () => {
    const writes: Uint8Array[] = [];
    const batch = new WriteBatch((bytes) => writes.push(bytes));
    const shared = Uint8Array.of(0xc0, 0x00);
    batch.add([shared]);
    batch.flush();
    expect(writes[0]).toEqual(shared);
    expect(writes[0]?.buffer).not.toBe(shared.buffer);
  });

  it("writes at a packet's end, never inside it: a packet whose pieces pass the limit goes out whole", () => {
    const writes: number[] = [];
    const batch = new WriteBatch((bytes) => writes.push(bytes.byteLength));
    const big = new Uint8Array(MAX_BATCH_BYTES - 1);
    batch.add([Uint8Array.of(0x32), big, Uint8Array.of(1, 2, 3)]);
    expect(writes).toEqual([MAX_BATCH_BYTES + 3]);
  });
});
