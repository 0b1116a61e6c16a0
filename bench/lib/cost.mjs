// Cost per charger per year of the shape that ships (gateway shards), from operations counted on the running shard
// code (bench/lib/cost-count.mjs on bench/counted) and Cloudflare's list prices (bench/prices.json), over the
// profiles and fleet sizes in prices.json.
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

function price(usd, v) {
  const requests = ((v.doRequests ?? 0) + (v.wsMessages ?? 0) / usd.incomingWebSocketMessagesPerRequest) * (usd.doPerMillionRequests / 1e6);
  const workers = (v.workerRequests ?? 0) * (usd.workersPerMillionRequests / 1e6);
  const rowsRead = (v.rowsRead ?? 0) * (usd.perMillionRowsRead / 1e6);
  const rowsWritten = (v.rowsWritten ?? 0) * (usd.perMillionRowsWritten / 1e6);
  const kv = (v.kvReads ?? 0) * (usd.kvPerMillionReads / 1e6);
  const duration = (v.gbSeconds ?? 0) * (usd.doPerMillionGBs / 1e6);
  return { requests, workers, rowsRead, rowsWritten, kv, duration, total: requests + workers + rowsRead + rowsWritten + kv + duration };
}

/**
 * Per charger per year, itemised, for one profile and fleet size: the counted operations per charger, plus each
 * shard's fixed cost shared by its chargers — pinned all month (its broker connection and its sockets keep it in
 * memory: duration at 128 MB), and its watchdog alarm (counted per hour: a request and a row written each).
 */
function perChargerYear(prices, per, profile, fleet) {
  const { usd, assumptions: a } = prices;
  let month = {};
  for (const [k, n] of Object.entries(rates(profile, a))) if (per[k]) month = add(month, per[k], n);
  const shards = Math.ceil(fleet / a.chargePointsPerShard);
  const alarms = (per.shardAlarmsPerHour ?? 0) * 720;
  const fixed = { gbSeconds: shards * SECONDS_PER_MONTH * usd.doMemoryGB, doRequests: shards * alarms, rowsWritten: shards * alarms };
  const total = add(month, fixed, 1 / fleet);
  const itemised = price(usd, total);
  return { ...Object.fromEntries(Object.entries(itemised).map(([k, v]) => [k, v * 12])), operationsPerMonth: total, shards };
}

export function costModel(prices, per) {
  const rows = [];
  for (const [profileName, profile] of Object.entries(prices.profiles)) {
    for (const fleet of prices.assumptions.fleets) rows.push({ profile: profileName, fleet, ...perChargerYear(prices, per, profile, fleet) });
  }
  const headline = rows.find((r) => r.profile === "default" && r.fleet === prices.assumptions.headlineFleet);
  return { per, rows, headline };
}

const money = (x) => `$${x.toFixed(x < 0.1 ? 3 : 2)}`;

/** Markdown: the counts, and the cost per charger per year by profile and fleet. */
export function costMarkdown(prices, cost) {
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  const kinds = ["connect", "Heartbeat", "StatusNotification", "MeterValues", "downstream", "disconnect", "timerInterval"];
  const label = { timerInterval: "heartbeat interval (timers)", downstream: "downstream call" };
  const fleets = prices.assumptions.fleets;
  const lines = [
    "Billable operations counted on the running shard code (bench/counted), per event and charge point:",
    "",
    "| event | DO requests (fetch, RPC, alarm) | incoming WS messages | Worker requests | rows read | rows written | of which setAlarm | KV reads |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...kinds.map((k) => {
      const v = cost.per[k];
      return `| ${label[k] ?? k} | ${f(v.doRequests)} | ${f(v.wsMessages)} | ${f(v.workerRequests)} | ${f(v.rowsRead)} | ${f(v.rowsWritten)} | ${f(v.setAlarms)} | ${f(v.kvReads)} |`;
    }),
    `| shard watchdog, per shard per hour (a request and a row written each) | ${f(cost.per.shardAlarmsPerHour, 0)} | | | | | | |`,
    "",
    `Cost per charger per year (list prices read ${prices.read}, allowances not subtracted; ${prices.assumptions.reconnectsPerMonth} reconnects a month, ${prices.assumptions.downstreamCallsPerDay} downstream call a day, ${prices.assumptions.chargePointsPerShard} charge points per shard, each shard pinned all month):`,
    "",
    `| profile | ${fleets.map((n) => n.toLocaleString("en-US")).join(" | ")} |`,
    `|---|${fleets.map(() => "---:").join("|")}|`,
    ...Object.keys(prices.profiles).map((p) => `| ${p} | ${fleets.map((n) => money(cost.rows.find((r) => r.profile === p && r.fleet === n).total)).join(" | ")} |`),
    "",
    `Where it goes, default profile, ${prices.assumptions.headlineFleet.toLocaleString("en-US")} chargers (per charger per year):`,
    "",
    "| DO requests | Worker requests | rows read | rows written | KV reads | duration | total |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    `| ${money(cost.headline.requests)} | ${money(cost.headline.workers)} | ${money(cost.headline.rowsRead)} | ${money(cost.headline.rowsWritten)} | ${money(cost.headline.kv)} | ${money(cost.headline.duration)} | **${money(cost.headline.total)}** |`,
    "",
    `cost per charger per year: $${cost.headline.total.toFixed(2)} (default profile, ${prices.assumptions.headlineFleet / 1000}k chargers)`,
  ];
  return lines.join("\n");
}
