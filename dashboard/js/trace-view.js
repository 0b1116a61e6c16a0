// One trace record (src/shard/trace.ts) as a table row: time, direction, type, Action, UniqueId, the payload
// pretty-printed. Frames are OCPP-J arrays; envelopes are the gateway's JSON objects. CALLERRORs and the
// gateway's error envelopes (validation failures among them) are highlighted.
import { h } from "./dom.js";

const TYPES = { 2: "CALL", 3: "CALLRESULT", 4: "CALLERROR", 5: "CALLRESULTERROR", 6: "SEND" };
const DIRECTIONS = { in: "from charge point", out: "to charge point", up: "to broker", down: "from broker" };

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What a record carries: type, Action, UniqueId, payload, and whether it reports an error. */
export function describe(record) {
  const value = record.truncated ? undefined : parse(record.text);
  if (Array.isArray(value)) {
    const type = TYPES[value[0]] ?? `type ${value[0]}`;
    // A CALLRESULT or CALLERROR does not name its call; the gateway adds the Action to answers to the charge point's calls.
    const action = value[0] === 2 || value[0] === 6 ? value[2] : record.action ?? "";
    const payload = value[0] === 2 || value[0] === 6 ? value[3] : value[0] === 3 ? value[2] : { errorCode: value[2], errorDescription: value[3], errorDetails: value[4] };
    return { type, action, uniqueId: value[1], payload, bad: value[0] === 4 || value[0] === 5 };
  }
  if (value !== null && typeof value === "object") {
    if (typeof value.event === "string") return { type: "event", action: value.event, uniqueId: "", payload: value, bad: false };
    const type = TYPES[value.MessageTypeId] ?? "envelope";
    return { type, action: value.Action ?? record.action ?? "", uniqueId: value.UniqueId ?? "", payload: value, bad: value.MessageTypeId === 4 || value.MessageTypeId === 5 };
  }
  return { type: record.truncated ? "(cut)" : "(not JSON)", action: record.action ?? "", uniqueId: "", payload: undefined, bad: !record.truncated };
}

export function traceRow(record) {
  const d = describe(record);
  const body = d.payload === undefined ? record.text : JSON.stringify(d.payload, null, 2);
  const note = record.truncated ? ` … (${record.len} characters, first ${record.text.length} shown)` : "";
  return h("tr", { className: d.bad ? "bad" : "", "data-dir": record.dir, "data-type": d.type, "data-action": d.action, "data-unique-id": d.uniqueId },
    h("td", {}, new Date(record.t).toLocaleTimeString(undefined, { hour12: false }) + `.${String(record.t % 1000).padStart(3, "0")}`),
    h("td", { className: `dir dir-${record.dir}`, title: DIRECTIONS[record.dir] }, { in: "⇢ in", out: "⇠ out", up: "⇡ MQTT", down: "⇣ MQTT" }[record.dir] ?? record.dir),
    h("td", {}, h("span", { className: "pill" }, d.type)),
    h("td", {}, d.action),
    h("td", {}, d.uniqueId),
    h("td", {}, record.topic ? h("div", { className: "muted" }, record.topic) : null, h("pre", {}, body + note)));
}
