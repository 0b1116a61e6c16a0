// Durable Objects cost per 1,000 charge points per month, from CPU time per message measured in this run and
// Cloudflare's published prices (bench/prices.json), for this design (charge point objects hibernate; the MQTT
// connection lives in a few BrokerLink objects) and for the alternative (every charge point object holds its own
// MQTT connection, so it never hibernates).
export function costModel(prices, measured) {
  const w = prices.workload;
  const d = prices.durableObjects;
  const callsPerCpMonth =
    w.secondsPerMonth / w.heartbeatEverySeconds +
    w.secondsPerMonth / w.statusNotificationEverySeconds +
    (w.secondsPerMonth / w.meterValuesEverySeconds) * w.chargingShare;
  const calls = callsPerCpMonth * w.chargePoints;
  // The heartbeat check's alarm fires about once per interval per charge point.
  const alarms = (w.secondsPerMonth / w.heartbeatEverySeconds) * w.chargePoints;
  const gbs = (ms) => (ms / 1000) * d.memoryGB;
  const requestsUsd = (n) => (n / 1e6) * d.usdPerMillionRequests;
  const durationUsd = (gbSeconds) => (gbSeconds / 1e6) * d.usdPerMillionGBs;
  const pinnedGbs = w.secondsPerMonth * d.memoryGB;

  // This design, per round trip: the charge point's frame (1/20 request), the publish RPC to the link (1), the
  // CSMS's answer delivered by RPC (1). The charge point object is active for its CPU time plus the PUBACK wait;
  // the link objects are pinned all month by their outbound connection.
  const ours = {
    requests: calls * (1 / d.incomingWebSocketMessagesPerRequest + 2) + alarms,
    chargePointGBs: calls * gbs(measured.cpuMsPerMessage + w.brokerRoundTripMs),
    linkGBs: w.brokerLinkShards * pinnedGbs,
  };
  // Alternative: each charge point object publishes itself (no RPC) but can never hibernate.
  const alternative = {
    requests: calls * (1 / d.incomingWebSocketMessagesPerRequest) + alarms,
    chargePointGBs: w.chargePoints * pinnedGbs,
    linkGBs: 0,
  };
  const price = (m) => {
    const r = requestsUsd(m.requests);
    const du = durationUsd(m.chargePointGBs + m.linkGBs);
    return { ...m, requestsUsd: r, durationUsd: du, totalUsd: r + du };
  };
  return { callsPerCpMonth, inputs: { ...measured, ...w }, ours: price(ours), alternative: price(alternative) };
}
