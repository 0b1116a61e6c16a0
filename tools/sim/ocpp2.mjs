// OCPP 2.0.1 (and 2.1, whose messages used here are the same) as the simulator speaks it: one connector per EVSE,
// transactions as TransactionEvent, configuration as device-model variables (2.0.1 Part 2, blocks B, C, E, F).
import { randomUUID } from "node:crypto";

const now = () => new Date().toISOString();
/** Generic reasons for the end of a session (Station.endCharging): [triggerReason, stoppedReason]. */
const STOP = { Local: ["StopAuthorized", "Local"], Remote: ["RemoteStop", "Remote"], Reset: ["ResetCommand", "ImmediateReset"], Unlock: ["UnlockCommand", "Other"], DeAuthorized: ["Deauthorized", "DeAuthorized"] };
/** Station.config keys as device-model variables (component.variable). */
const VARIABLES = { "OCPPCommCtrlr.HeartbeatInterval": "HeartbeatInterval", "SampledDataCtrlr.TxUpdatedInterval": "MeterValueSampleInterval" };

export const boot = (reason) => ({ chargingStation: { vendorName: "ocpp-mqtt-gateway", model: "simulator" }, reason });

/** 2.x connector status has no Preparing, Charging or Finishing: the connector is Occupied. */
export const shownStatus = (s) => (s === "Available" ? "Available" : "Occupied");

export const status = (c) => ({
  timestamp: now(),
  connectorStatus: shownStatus(c.status),
  evseId: c.id,
  connectorId: 1,
});

const idToken = (tag) => ({ idToken: tag, type: "ISO14443" });

function meterValue(c) {
  return [{ timestamp: now(), sampledValue: [{ value: c.meter, context: "Sample.Periodic", measurand: "Energy.Active.Import.Register" }] }];
}

async function transactionEvent(station, c, eventType, triggerReason, extra = {}) {
  const tx = c.tx;
  const payload = { eventType, timestamp: now(), triggerReason, seqNo: tx.seq++, transactionInfo: { transactionId: tx.id, ...extra.info }, evse: { id: c.id, connectorId: 1 }, meterValue: meterValue(c), ...extra.more };
  return station.call("TransactionEvent", payload);
}

export async function authorize(station, tag) {
  const answer = await station.call("Authorize", { idToken: idToken(tag) });
  return answer?.idTokenInfo?.status === "Accepted";
}

export async function startTransaction(station, c, start) {
  c.tx.id = randomUUID();
  const remote = start.remoteStartId !== undefined;
  const info = { chargingState: "Charging", ...(remote ? { remoteStartId: start.remoteStartId } : {}) };
  const answer = await transactionEvent(station, c, "Started", remote ? "RemoteStart" : "Authorized", { info, more: { idToken: idToken(c.tx.idTag) } });
  if (answer === undefined) return false;
  if (answer.idTokenInfo && answer.idTokenInfo.status !== "Accepted") c.tx.stopReason = "DeAuthorized";
  return true;
}

export async function meterValues(station, c) {
  await transactionEvent(station, c, "Updated", "MeterValuePeriodic");
}

export async function stopTransaction(station, c, reason) {
  const [triggerReason, stoppedReason] = STOP[reason] ?? STOP.Local;
  await transactionEvent(station, c, "Ended", triggerReason, { info: { chargingState: "Idle", stoppedReason } });
}

function variable(station, { component, variable: v }) {
  const key = VARIABLES[`${component.name}.${v.name}`];
  return key === undefined ? { attributeStatus: "UnknownVariable", component, variable: v } : { key, component, variable: v };
}

const TRIGGERS = {
  BootNotification: (s) => s.boot("Triggered"),
  Heartbeat: (s) => s.call("Heartbeat", {}),
  StatusNotification: (s, c) => Promise.all((c ? [c] : s.connectors).map((x) => s.setStatus(x, x.status, true))),
  MeterValues: (s, c) => Promise.all((c ? [c] : s.connectors).map((x) => s.call("MeterValues", { evseId: x.id, meterValue: meterValue(x) }))),
};

export function handle(s) {
  s.client.handle("RequestStartTransaction", ({ params }) => {
    const c = s.freeConnector(params.evseId);
    if (c === undefined) return { status: "Rejected" };
    s.later(() => s.charge(c, params.idToken.idToken, { start: { remoteStartId: params.remoteStartId } }));
    return { status: "Accepted" };
  });
  s.client.handle("RequestStopTransaction", ({ params }) => {
    const c = s.connectors.find((x) => x.tx?.id === params.transactionId);
    if (c === undefined) return { status: "Rejected" };
    s.later(() => s.endCharging(c, "Remote"));
    return { status: "Accepted" };
  });
  s.client.handle("Reset", () => {
    s.later(() => s.reboot());
    return { status: "Accepted" };
  });
  s.client.handle("GetVariables", ({ params }) => ({
    getVariableResult: params.getVariableData.map((d) => {
      const { key, ...result } = variable(s, d);
      return key === undefined ? result : { ...result, attributeStatus: "Accepted", attributeValue: String(s.config[key]) };
    }),
  }));
  s.client.handle("SetVariables", ({ params }) => ({
    setVariableResult: params.setVariableData.map((d) => {
      const { key, ...result } = variable(s, d);
      if (key === undefined) return result;
      const seconds = Number(d.attributeValue);
      if (!Number.isInteger(seconds) || seconds <= 0) return { ...result, attributeStatus: "Rejected" };
      s.config[key] = seconds;
      if (key === "HeartbeatInterval") s.setHeartbeat(seconds);
      return { ...result, attributeStatus: "Accepted" };
    }),
  }));
  s.client.handle("TriggerMessage", ({ params }) => {
    const send = TRIGGERS[params.requestedMessage];
    if (send === undefined) return { status: "NotImplemented" };
    const c = params.evse === undefined ? undefined : s.connectors.find((x) => x.id === params.evse.id);
    if (params.evse !== undefined && c === undefined) return { status: "Rejected" };
    s.later(() => send(s, c));
    return { status: "Accepted" };
  });
  s.client.handle("UnlockConnector", ({ params }) => {
    const c = s.connectors.find((x) => x.id === params.evseId && params.connectorId === 1);
    if (c === undefined) return { status: "UnknownConnector" };
    // F05: a connector with an authorized transaction stays locked.
    return { status: c.tx ? "OngoingAuthorizedTransaction" : "Unlocked" };
  });
  s.client.handle("DataTransfer", () => ({ status: "UnknownVendorId" }));
}
