// OCPP 1.6 as the simulator speaks it: the messages a charge point sends and its answers to the back office's
// commands (OCPP 1.6 edition 2, chapters 5 and 6).
const now = () => new Date().toISOString();
/** Generic reasons for the end of a session (Station.endCharging) as StopTransaction.req reasons. */
const STOP_REASON = { Local: "Local", Remote: "Remote", Reset: "SoftReset", Unlock: "UnlockCommand" };

export const boot = () => ({ chargePointVendor: "ocpp-mqtt-gateway", chargePointModel: "simulator" });

export const shownStatus = (s) => s;

export const status = (c) => ({ connectorId: c.id, errorCode: "NoError", status: c.status, timestamp: now() });

function meterValue(c) {
  return [{ timestamp: now(), sampledValue: [{ value: String(c.meter), context: "Sample.Periodic", measurand: "Energy.Active.Import.Register", unit: "Wh" }] }];
}

export async function authorize(station, idTag) {
  const answer = await station.call("Authorize", { idTag });
  return answer?.idTagInfo?.status === "Accepted";
}

export async function startTransaction(station, c) {
  const answer = await station.call("StartTransaction", { connectorId: c.id, idTag: c.tx.idTag, meterStart: c.meter, timestamp: now() });
  if (answer === undefined) return false;
  c.tx.id = answer.transactionId;
  // The transaction exists even when the id tag is refused; the charger then stops it at once (§5.12).
  if (answer.idTagInfo?.status !== "Accepted") c.tx.stopReason = "DeAuthorized";
  return true;
}

export async function meterValues(station, c) {
  await station.call("MeterValues", { connectorId: c.id, transactionId: c.tx.id, meterValue: meterValue(c) });
}

export async function stopTransaction(station, c, reason) {
  const payload = { transactionId: c.tx.id, idTag: c.tx.idTag, meterStop: c.meter, timestamp: now(), reason: STOP_REASON[reason] ?? reason };
  await station.call("StopTransaction", payload);
}

const CONFIG_KEYS = { HeartbeatInterval: false, MeterValueSampleInterval: false, NumberOfConnectors: true }; // key → read-only

function configValue(station, key) {
  return key === "NumberOfConnectors" ? String(station.connectors.length) : String(station.config[key]);
}

/** Messages TriggerMessage may ask for (§5.17), and how to send each. */
const TRIGGERS = {
  BootNotification: (s) => s.boot("Triggered"),
  Heartbeat: (s) => s.call("Heartbeat", {}),
  StatusNotification: (s, c) => Promise.all((c ? [c] : s.connectors).map((x) => s.setStatus(x, x.status, true))),
  MeterValues: (s, c) => Promise.all((c ? [c] : s.connectors).map((x) => s.call("MeterValues", { connectorId: x.id, ...(x.tx ? { transactionId: x.tx.id } : {}), meterValue: meterValue(x) }))),
};

export function handle(s) {
  s.client.handle("RemoteStartTransaction", ({ params }) => {
    const c = s.freeConnector(params.connectorId);
    if (c === undefined) return { status: "Rejected" };
    s.later(() => s.charge(c, params.idTag));
    return { status: "Accepted" };
  });
  s.client.handle("RemoteStopTransaction", ({ params }) => {
    const c = s.connectors.find((x) => x.tx?.id === params.transactionId);
    if (c === undefined) return { status: "Rejected" };
    s.later(() => s.endCharging(c, "Remote"));
    return { status: "Accepted" };
  });
  s.client.handle("Reset", () => {
    s.later(() => s.reboot());
    return { status: "Accepted" };
  });
  s.client.handle("GetConfiguration", ({ params }) => {
    const keys = params.key ?? Object.keys(CONFIG_KEYS);
    const known = keys.filter((k) => k in CONFIG_KEYS);
    return {
      configurationKey: known.map((key) => ({ key, readonly: CONFIG_KEYS[key], value: configValue(s, key) })),
      unknownKey: keys.filter((k) => !(k in CONFIG_KEYS)),
    };
  });
  s.client.handle("ChangeConfiguration", ({ params }) => {
    if (!(params.key in CONFIG_KEYS)) return { status: "NotSupported" };
    const seconds = Number(params.value);
    if (CONFIG_KEYS[params.key] || !Number.isInteger(seconds) || seconds <= 0) return { status: "Rejected" };
    s.config[params.key] = seconds;
    if (params.key === "HeartbeatInterval") s.setHeartbeat(seconds);
    return { status: "Accepted" };
  });
  s.client.handle("TriggerMessage", ({ params }) => {
    const send = TRIGGERS[params.requestedMessage];
    if (send === undefined) return { status: "NotImplemented" };
    const c = params.connectorId === undefined ? undefined : s.connectors.find((x) => x.id === params.connectorId);
    if (params.connectorId !== undefined && params.connectorId !== 0 && c === undefined) return { status: "Rejected" };
    s.later(() => send(s, c));
    return { status: "Accepted" };
  });
  s.client.handle("UnlockConnector", ({ params }) => {
    const c = s.connectors.find((x) => x.id === params.connectorId);
    if (c === undefined) return { status: "NotSupported" };
    // Unlocking ends a session on that connector first (§5.18).
    if (c.tx) s.later(() => s.endCharging(c, "Unlock"));
    return { status: "Unlocked" };
  });
  // The simulator has no vendor extensions (§4.3). Other actions are answered NotImplemented by ocpp-rpc.
  s.client.handle("DataTransfer", () => ({ status: "UnknownVendorId" }));
}
