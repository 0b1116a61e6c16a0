// Opens idle charge point connections as fast as the gateway accepts them (bounded concurrency), holds them,
// and closes them when told. Reports when each finished opening.
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const { url, cids, concurrency } = workerData;
// These charge points never send a frame: when the gateway closes one (idle_timeout), local workerd ends its TCP
// connection only ~10 s after the Close frame (README, Troubleshooting), and ws reports 'close' only then.
const CLOSE_TIMEOUT_MS = 2_000;
const sockets = [];
let failed = 0;
let next = 0;

async function opener() {
  while (next < cids.length) {
    const cid = cids[next++];
    await new Promise((resolve) => {
      const ws = new WebSocket(`${url}/${encodeURIComponent(cid)}`, ["ocpp1.6"], { perMessageDeflate: false, closeTimeout: CLOSE_TIMEOUT_MS });
      ws.once("open", () => {
        sockets.push(ws);
        resolve();
      });
      ws.once("error", () => {
        failed++;
        resolve();
      });
    });
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, opener));
parentPort.postMessage({ type: "open", opened: sockets.length, failed, ms: performance.now() - started });
parentPort.once("message", async () => {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once("close", resolve);
          ws.close(1000);
        }),
    ),
  );
  parentPort.postMessage({ type: "closed" });
});
