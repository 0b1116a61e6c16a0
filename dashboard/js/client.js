// One charge point: its figures and the live trace of everything it sends and receives while the page is open.
import { ApiFailure, call, openTrace } from "./api.js";
import { confirmButton, errorBox, h, show, time } from "./dom.js";
import { traceRow } from "./trace-view.js";

/** Rows kept on the page; older ones are dropped. */
const MAX_ROWS = 500;

export async function clientPage(main, clientid) {
  const figures = h("div", {});
  const status = h("span", { id: "trace-status", className: "muted" }, "connecting…");
  const rows = h("tbody", {});
  let paused = false;
  let socket;
  const pause = h("button", { type: "button", onclick: () => { paused = !paused; pause.textContent = paused ? "Resume" : "Pause"; } }, "Pause");

  const loadFigures = async () => {
    try {
      const c = await call("GET", `/clients/${encodeURIComponent(clientid)}`);
      show(figures, h("div", { className: "cards" },
        ...[["OCPP", c.proto_ver], ["Connected since", time(Date.parse(c.connected_at))], ["IP", c.ip_address ?? "–"], ["User", c.username ?? "–"],
          ["Heartbeat s", c.keepalive], ["Queue", `${c.mqueue_len}/${c.mqueue_max}`], ["Outbox", `${c.outbox_len}/${c.outbox_max}`],
          ["Frames in / out", `${c.recv_msg} / ${c.send_msg}`], ["Malformed / invalid", `${c.malformed_msg} / ${c.invalid_msg}`]]
          .map(([label, value]) => h("div", { className: "card" }, h("div", { className: "label" }, label), h("div", { className: "value" }, String(value))))),
        h("div", { className: "row" }, confirmButton("Kick", `Close ${clientid}'s connection?`, async () => {
          await call("DELETE", `/clients/${encodeURIComponent(clientid)}`);
          await loadFigures();
        })));
    } catch (error) {
      show(figures, error instanceof ApiFailure && error.status === 404 ? h("p", { className: "muted" }, "Not connected now; the trace shows it when it connects.") : errorBox(error));
    }
  };

  const connect = async () => {
    try {
      socket = await openTrace(clientid);
    } catch (error) {
      show(status, errorBox(error));
      return;
    }
    socket.addEventListener("open", () => show(status, h("span", { className: "on" }, "live")));
    socket.addEventListener("close", () => show(status, h("span", { className: "off" }, "trace closed "), h("button", { type: "button", onclick: () => void connect() }, "Reconnect")));
    socket.addEventListener("message", (e) => {
      const record = JSON.parse(e.data);
      if (record.dir === "hello") return;
      if (record.dir === "up" && record.text.includes('"event"')) void loadFigures();
      if (paused) return;
      rows.prepend(traceRow(record));
      while (rows.childElementCount > MAX_ROWS) rows.lastElementChild.remove();
    });
  };

  show(main,
    h("h1", {}, "Charge point ", h("code", {}, clientid)),
    figures,
    h("h2", {}, "Live trace ", status),
    h("p", { className: "muted" }, "Every frame in and out, the envelopes published and delivered for it, and its lifecycle events, newest first, while this page is open. Nothing is recorded."),
    h("div", { className: "row" }, pause, h("button", { type: "button", onclick: () => rows.replaceChildren() }, "Clear")),
    h("table", { className: "trace", id: "trace" },
      h("thead", {}, h("tr", {}, ...["Time", "Direction", "Type", "Action", "UniqueId", "Payload"].map((t) => h("th", {}, t)))),
      rows));
  await Promise.all([loadFigures(), connect()]);
  return () => socket?.close(1000);
}
