// Cost per charger per year from operations counted on the running gateway (bench/lib/cost-count.mjs) and
// Cloudflare's list prices (bench/prices.json), for today's shape and for the shard shape modelled from the same
// counts, over the profiles and fleet sizes in prices.json.
const SECONDS_PER_MONTH = 30 * 24 * 3600;

const add = (a, b, f = 1) => Object.fromEntries(Object.keys({ ...a, ...b }).map((k) => [k, (a[k] ?? 0) + (b[k] ?? 0) * f]));

/** Charge point events per month for a profile. */
function rates(profile, assumptions) {
  return {
    Heartbeat: SECONDS_PER_MONTH / profile.heartbeatS,
    StatusNotification: SECONDS_PER_MONTH / profile.statusNotificationS,
    MeterValues: (SECONDS_PER_MONTH / profile.meterValuesS) * profile.chargingShare,
    timerInterval: SECONDS_PER_MONTH / profile.heartbeatS,
    connect: assumptions.reconnectsPerMonth,
    disconnect: assumptions.reconnectsPerMonth,
    downstream: assumptions.downstreamCallsPerDay * 30,
  };
}

/**
 * The shard shape's operations, from today's counts: a frame is one incoming WebSocket message of the shard and
 * crosses no RPC; a downstream message arrives on the shard's own MQTT socket (no request); a connect is the
 * Worker request and one request into the shard, a close one event; timers of connected charge points are in
 * memory (no alarm, no setAlarm row); durable writes (queue, outbox, connection, client list) stay as counted.
 */
export function shardOperations(per) {
  const keepRows = (v) => ({ rowsRead: v.rowsRead, rowsWritten: v.rowsWritten - v.setAlarms, kvReads: v.kvReads });
  const out = {};
  for (const k of ["Heartbeat", "StatusNotification", "MeterValues", "downstream"]) out[k] = { ...keepRows(per[k]), wsMessages: per[k].wsMessages };
  out.connect = { ...keepRows(per.connect), workerRequests: per.connect.workerRequests, doRequests: 1 };
  out.disconnect = { ...keepRows(per.disconnect), doRequests: 1 };
  out.timerInterval = {};
  return out;
}

function price(usd, v) {
  const requests = ((v.doRequests ?? 0) + (v.wsMessages ?? 0) / usd.incomingWebSocketMessagesPerRequest) * (usd.doPerMillionRequests / 1e6);
  const workers = (v.workerRequests ?? 0) * (usd.workersPerMillionRequests / 1e6);
  const rowsRead = (v.rowsRead ?? 0) * (usd.perMillionRowsRead / 1e6);
  const rowsWritten = (v.rowsWritten ?? 0) * (usd.perMillionRowsWritten / 1e6);
  const kv = (v.kvReads ?? 0) * (usd.kvPerMillionReads / 1e6);
  const duration = (v.gbSeconds ?? 0) * (usd.doPerMillionGBs / 1e6);
  return { requests, workers, rowsRead, rowsWritten, kv, duration, total: requests + workers + rowsRead + rowsWritten + kv + duration };
}

/** Per charger per year, itemised, for one shape, profile and fleet size. */
function perChargerYear(prices, ops, shape, profile, fleet, linkAlarmsPerHour) {
  const { usd, assumptions: a } = prices;
  const r = rates(profile, a);
  let month = {};
  for (const [k, n] of Object.entries(r)) if (ops[k]) month = add(month, ops[k], n);
  const upstreamCalls = r.Heartbeat + r.StatusNotification + r.MeterValues;
  const pinnedGbs = SECONDS_PER_MONTH * usd.doMemoryGB;
  const objects = Math.ceil(fleet / a.chargePointsPerLinkOrShard);
  let fixed;
  if (shape === "today") {
    // Charge point objects are active for their handlers (measured) and the PUBACK wait of each upstream call.
    month.gbSeconds = (Math.max(0, month.chargePointActiveMs ?? 0) / 1000 + (upstreamCalls * a.brokerRoundTripMs) / 1000) * usd.doMemoryGB;
    // BrokerLink objects: pinned by their outbound socket; the watchdog alarm re-arms itself (a row written).
    const alarms = linkAlarmsPerHour * 720;
    fixed = { gbSeconds: objects * pinnedGbs, doRequests: objects * alarms, rowsWritten: objects * alarms };
  } else {
    const alarms = SECONDS_PER_MONTH / a.shardStorageAlarmS;
    fixed = { gbSeconds: objects * pinnedGbs, doRequests: objects * alarms, rowsWritten: objects * alarms };
  }
  const total = add(month, fixed, 1 / fleet);
  const itemised = price(usd, total);
  return { ...Object.fromEntries(Object.entries(itemised).map(([k, v]) => [k, v * 12])), operationsPerMonth: total, pinnedObjects: objects };
}

export function costModel(prices, per) {
  const shapes = { today: per, shard: shardOperations(per) };
  const rows = [];
  for (const [shape, ops] of Object.entries(shapes)) {
    for (const [profileName, profile] of Object.entries(prices.profiles)) {
      for (const fleet of prices.assumptions.fleets) {
        rows.push({ shape, profile: profileName, fleet, ...perChargerYear(prices, ops, shape, profile, fleet, per.linkAlarmsPerHour ?? 0) });
      }
    }
  }
  const find = (shape, profile, fleet) => rows.find((r) => r.shape === shape && r.profile === profile && r.fleet === fleet);
  const headline = find("today", "default", prices.assumptions.headlineFleet);
  return { per, shardPer: shapes.shard, rows, headline, shardHeadline: find("shard", "default", prices.assumptions.headlineFleet) };
}

const money = (x) => `$${x.toFixed(x < 0.1 ? 3 : 2)}`;

/** Markdown: the counts, and the cost per charger per year by shape, profile and fleet. */
export function costMarkdown(prices, cost) {
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  const kinds = ["connect", "Heartbeat", "StatusNotification", "MeterValues", "downstream", "disconnect", "timerInterval"];
  const label = { timerInterval: "heartbeat interval (timers)", downstream: "downstream call" };
  const fleets = prices.assumptions.fleets;
  const lines = [
    "Billable operations counted on the running gateway (bench/counted), per event and charge point:",
    "",
    "| event | DO requests (RPC, fetch, alarm) | of which alarms | incoming WS messages | Worker requests | rows read | rows written | of which setAlarm | KV reads | charge point object active ms |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...kinds.map((k) => {
      const v = cost.per[k];
      return `| ${label[k] ?? k} | ${f(v.doRequests)} | ${f(v.alarms)} | ${f(v.wsMessages)} | ${f(v.workerRequests)} | ${f(v.rowsRead)} | ${f(v.rowsWritten)} | ${f(v.setAlarms)} | ${f(v.kvReads)} | ${f(v.chargePointActiveMs, 1)} |`;
    }),
    `| broker link watchdog, per link per hour | ${f(cost.per.linkAlarmsPerHour, 0)} | | | | | | | | |`,
    "",
    `Cost per charger per year (list prices read ${prices.read}, allowances not subtracted; ${prices.assumptions.reconnectsPerMonth} reconnects a month, ${prices.assumptions.downstreamCallsPerDay} downstream call a day, ${prices.assumptions.chargePointsPerLinkOrShard} charge points per link or shard, ${prices.assumptions.brokerRoundTripMs} ms PUBACK wait):`,
    "",
    `| shape | profile | ${fleets.map((n) => n.toLocaleString("en-US")).join(" | ")} |`,
    `|---|---|${fleets.map(() => "---:").join("|")}|`,
    ...["today", "shard"].flatMap((shape) =>
      Object.keys(prices.profiles).map(
        (p) => `| ${shape === "today" ? "today's gateway (measured)" : "shard shape (modelled)"} | ${p} | ${fleets.map((n) => money(cost.rows.find((r) => r.shape === shape && r.profile === p && r.fleet === n).total)).join(" | ")} |`,
      ),
    ),
    "",
    `Where it goes, default profile, ${prices.assumptions.headlineFleet.toLocaleString("en-US")} chargers (per charger per year):`,
    "",
    "| shape | DO requests | Worker requests | rows read | rows written | KV reads | duration | total |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...[
      ["today's gateway", cost.headline],
      ["shard shape", cost.shardHeadline],
    ].map(([n, r]) => `| ${n} | ${money(r.requests)} | ${money(r.workers)} | ${money(r.rowsRead)} | ${money(r.rowsWritten)} | ${money(r.kv)} | ${money(r.duration)} | **${money(r.total)}** |`),
    "",
    `cost per charger per year: $${cost.headline.total.toFixed(2)} (default profile, ${prices.assumptions.headlineFleet / 1000}k chargers)`,
    `shard shape, modelled from the same counts: $${cost.shardHeadline.total.toFixed(2)} per charger per year (default profile, ${prices.assumptions.headlineFleet / 1000}k chargers)`,
  ];
  return lines.join("\n");
}
