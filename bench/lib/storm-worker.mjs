// A reconnect storm's share of charge points: each connects (all at once, up to `concurrency` handshakes in flight),
// sends a BootNotification, and once answered a Heartbeat; it counts as relaying when the Heartbeat is answered.
// Reports, per charge point, when its connect was accepted and when it was relaying (ms since `startAt`), and the
// errors; keeps the sockets open until told to close them.
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const { url, cids, concurrency, startAt } = workerData;
const CLOSE_TIMEOUT_MS = 2_000;
const CALL_TIMEOUT_MS = 120_000;
const sockets = [];
const accepted = [];
const relaying = [];
const errors = { connect: 0, closed: 0, unanswered: 0, refused: 0 };
let next = 0;

function call(ws, id, action, payload) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      errors.unanswered++;
      resolve(false);
    }, CALL_TIMEOUT_MS);
    const onMessage = (data) => {
      const frame = JSON.parse(String(data));
      if (frame[1] !== id) return;
      ws.off("message", onMessage);
      clearTimeout(timer);
      if (frame[0] !== 3) errors.refused++;
      resolve(frame[0] === 3);
    };
    ws.on("message", onMessage);
    ws.send(JSON.stringify([2, id, action, payload]));
  });
}

async function chargePoint(cid) {
  const ws = await new Promise((resolve) => {
    const socket = new WebSocket(`${url}/${encodeURIComponent(cid)}`, ["ocpp1.6"], { perMessageDeflate: false, closeTimeout: CLOSE_TIMEOUT_MS });
    socket.once("open", () => resolve(socket));
    socket.once("error", () => {
      errors.connect++;
      resolve(undefined);
    });
  });
  if (ws === undefined) return;
  accepted.push(Date.now() - startAt);
  sockets.push(ws);
  ws.once("close", () => errors.closed++);
  if (!(await call(ws, `${cid}-boot`, "BootNotification", { chargePointVendor: "bench", chargePointModel: "storm" }))) return;
  if (await call(ws, `${cid}-hb`, "Heartbeat", {})) relaying.push(Date.now() - startAt);
}

async function runner() {
  while (next < cids.length) await chargePoint(cids[next++]);
}

await Promise.all(Array.from({ length: concurrency }, runner));
parentPort.postMessage({ type: "done", accepted, relaying, errors: { ...errors } });
parentPort.once("message", async () => {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          ws.removeAllListeners("close");
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once("close", resolve);
          ws.close(1000);
        }),
    ),
  );
  parentPort.postMessage({ type: "closed" });
});
