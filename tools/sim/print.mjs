// One readable line per OCPP message, shared by the simulator and the demo back office:
//   12:00:01.123 [CP1] → CALL BootNotification 5f0c… {"chargePointVendor":"…"}
// The arrow is seen from the program printing: → it sent the message, ← it received it.

const KINDS = { 2: "CALL", 3: "RESULT", 4: "ERROR", 5: "RESULTERROR", 6: "SEND" };
const MAX_JSON = 1000; // a longer payload is cut (the frame limit is 64 KiB)

function json(value) {
  const text = JSON.stringify(value);
  return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON)}…` : text;
}

/** `{type, id, action, payload, errorCode, errorDescription}` as `KIND Action id payload-or-error`. */
export function describe({ type, id, action, payload, errorCode, errorDescription }) {
  const head = [KINDS[type] ?? `type ${type}`, action ?? "?", id].join(" ");
  if (type === 4 || type === 5) return `${head} ${errorCode}: ${errorDescription}`;
  return `${head} ${json(payload)}`;
}

/** Prints `line` for `who` with the time of day (UTC, ms). */
export function say(who, line) {
  process.stdout.write(`${new Date().toISOString().slice(11, 23)} [${who}] ${line}\n`);
}
