// The soak's table: messages each way and how each ended, lost (must be 0), duplicated, refused by reason,
// latency outside and during faults, recovery after each fault, reconnects, and the gateway's memory and objects.

const RECOVERY_TARGET_MS = 5000;
/** After a fault's return, latency still counts as "during the fault" for this long. */
const SETTLE_MS = 10_000;

function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const count = (list, key) => list.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map());
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "–");

/** Closes by the gateway that the soak's faults explain: silence (a charge point blackholed, or not waiting). */
const EXPECTED_CLOSES = /^1000 (keepalive_timeout|idle_timeout)$/;
/** The one refusal an outage may cause: the outbox full (docs/reliability.md). */
const EXPECTED_REFUSALS = new Set(["InternalError"]);

/**
 * `gateTiming`: whether the recovery target fails the run. A smoke run on a shared CI machine reports it only (a
 * time is a benchmark's figure, not a test's); the full run is judged by it.
 */
export function report({ ledger, faults, start, end, seed, options, repeat, chargers, gateTiming = true }) {
  const attempts = [...ledger.attempts.values()];
  const logical = [...ledger.logical.values()];
  const commands = [...ledger.commands.values()];
  const byOutcome = count(attempts, (a) => a.outcome);
  const refusedBy = count(attempts.filter((a) => a.outcome === "refused"), (a) => a.code);
  const lostAttempts = attempts.filter((a) => a.outcome === "timeout" || a.outcome === "pending");
  const lostTx = logical.filter((l) => l.tx && l.answeredAt === 0);
  const lostCommands = commands.filter((c) => c.outcome === "pending");
  const commandErrors = count(commands.filter((c) => c.outcome === "error"), (c) => c.reason);
  let redelivered = 0;
  for (const n of ledger.csmsSeen.values()) redelivered += n - 1;
  let resentSeen = 0;
  for (const ids of ledger.csmsLogical.values()) resentSeen += ids.size - 1;
  const commandDuplicates = commands.reduce((n, c) => n + (c.duplicates ?? 0) + Math.max(0, c.receivedBy.length - 1), 0);

  const during = (t) => faults.some((f) => t >= f.startAt && t <= f.returnAt + SETTLE_MS);
  const answered = attempts.filter((a) => a.outcome === "answered");
  const quiet = answered.filter((a) => !during(a.sentAt)).map((a) => a.at - a.sentAt);
  const faulty = answered.filter((a) => during(a.sentAt)).map((a) => a.at - a.sentAt);

  // Recovery after a broker or network fault: of the calls held through it or sent just after its return, how long
  // the last one waited for its answer, counted from the later of the return and its sending.
  faults.forEach((f, i) => {
    if (!f.kind.startsWith("broker") && !f.kind.startsWith("net")) return;
    // Calls sent since the previous fault's return (so one fault's held calls are not blamed on the next).
    const since = i === 0 ? 0 : faults[i - 1].returnAt;
    const held = answered.filter((a) => a.at > f.returnAt && a.sentAt <= f.returnAt + 2000 && a.sentAt >= since);
    const waits = held.map((a) => ({ a, wait: a.at - Math.max(f.returnAt, a.sentAt) })).sort((x, y) => y.wait - x.wait);
    f.recoveryMs = waits.length === 0 ? 0 : waits[0].wait;
    if (waits.length > 0) f.slowest = { cid: waits[0].a.cid, action: waits[0].a.action, sentAfterStartMs: waits[0].a.sentAt - f.startAt, answeredAfterReturnMs: waits[0].a.at - f.returnAt };
    f.heldCalls = held.filter((a) => a.sentAt < f.returnAt).length;
  });
  const slow = faults.filter((f) => f.recoveryMs > RECOVERY_TARGET_MS);
  const reconnects = chargers.reduce((n, c) => n + Math.max(0, c.conn - 1), 0);
  const lost = lostAttempts.length + lostTx.length + lostCommands.length;
  const unexpectedRefusals = [...refusedBy].filter(([code]) => !EXPECTED_REFUSALS.has(code));
  const unexpectedCloses = [...ledger.closes].filter(([k]) => !EXPECTED_CLOSES.test(k));
  const notBack = faults.filter((f) => f.notBack > 0);
  const checks = [
    [start.booted === options.chargers, `all ${options.chargers} charge points booted before the faults (${start.booted})`],
    [answered.length > 0 && commands.some((c) => c.outcome === "answered"), "calls and commands were answered"],
    [lost === 0, "nothing lost"],
    [ledger.wrong.length === 0, "nothing delivered to the wrong charge point"],
    [ledger.unreadableFrames.length === 0, "every frame and envelope readable"],
    [ledger.silentWhileHeld.length === 0, "no charge point closed for silence while the gateway held its call"],
    [slow.length === 0, "relaying again within 5 s of every broker or network return", "timing"],
    [notBack.length === 0, "every charge point back after every fault"],
    [unexpectedRefusals.length === 0, `no refusal other than ${[...EXPECTED_REFUSALS].join(", ")}`],
    [unexpectedCloses.length === 0, "no close by the gateway other than for silence"],
  ];
  const passed = checks.every(([ok, , timing]) => ok || (timing && !gateTiming));

  const lines = [
    `# Soak: ${options.chargers} charge points, ${options.durationS} s, seed ${seed}: ${passed ? "PASSED" : "FAILED"}`,
    "",
    `Repeat with \`npm run soak -- ${repeat}\`.`,
    "",
    ...checks.map(([ok, what, timing]) => `- ${ok ? "ok" : timing && !gateTiming ? "**over the target** (a time: reported, not checked in a smoke run)" : "**FAILED**"}: ${what}`),
    "",
    "| | count |",
    "|---|---:|",
    `| calls sent by charge points (attempts) | ${attempts.length} |`,
    `| answered by the CSMS | ${byOutcome.get("answered") ?? 0} |`,
    `| refused by the gateway (CALLERROR) | ${byOutcome.get("refused") ?? 0}${refusedBy.size ? ` (${[...refusedBy].map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""} |`,
    `| unanswered: the connection dropped first | ${byOutcome.get("dropped") ?? 0} |`,
    `| transaction messages (logical) | ${logical.filter((l) => l.tx).length}, re-sent ${logical.filter((l) => l.tx && l.tries > 1).length}, given up with their refused start ${ledger.abandonedCount} |`,
    `| commands sent by the CSMS | ${commands.length} |`,
    `| answered by the charge point | ${commands.filter((c) => c.outcome === "answered").length} |`,
    `| ended with an error envelope | ${commands.filter((c) => c.outcome === "error").length}${commandErrors.size ? ` (${[...commandErrors].map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""} |`,
    `| **lost** (calls timed out or never ended, transaction messages never answered, commands never ended) | **${lost}** (${lostAttempts.length}, ${lostTx.length}, ${lostCommands.length}) |`,
    `| **wrong deliveries** | **${ledger.wrong.length}** |`,
    `| **closed for silence while the gateway held its call** | **${ledger.silentWhileHeld.length}** |`,
    `| duplicates: the same CALL twice at the CSMS (MQTT redelivery) | ${redelivered} |`,
    `| duplicates: a re-sent transaction message the CSMS already had | ${resentSeen} |`,
    `| duplicates: command answers or deliveries | ${commandDuplicates} |`,
    `| answers the charge point was not waiting for (a duplicate, or one after it gave up) | ${ledger.stray} |`,
    `| reconnects | ${reconnects} |`,
    `| closes by the gateway (code reason) | ${[...ledger.closes].map(([k, v]) => `${k}: ${v}`).join(", ") || "none"} |`,
    `| latency p50 / p99, outside faults | ${ms(percentile(quiet, 50))} / ${ms(percentile(quiet, 99))} (${quiet.length} calls) |`,
    `| latency p50 / p99, during faults (to ${SETTLE_MS / 1000} s after the return) | ${ms(percentile(faulty, 50))} / ${ms(percentile(faulty, 99))} (${faulty.length} calls) |`,
    `| gateway resident memory, start → end | ${(start.rss / 2 ** 20).toFixed(0)} → ${(end.rss / 2 ** 20).toFixed(0)} MiB |`,
    `| objects with storage, start → end | ${start.objects} → ${end.objects} |`,
    `| clients connected (API), start → end | ${start.clients} → ${end.clients} |`,
    "",
    "| fault | what | back after | recovery |",
    "|---|---|---:|---|",
    ...faults.map((f) => {
      const recovery =
        f.recoveryMs !== undefined
          ? `last held call answered ${ms(f.recoveryMs)} after the return (${f.heldCalls} held)${f.recoveryMs > RECOVERY_TARGET_MS ? " **over 5 s**" : ""}`
          : `all booted again ${ms(f.rebootedAfterMs)} after${f.notBack ? `; **${f.notBack} not back**` : ""}`;
      return `| ${f.kind} | ${f.detail} | ${((f.returnAt - f.startAt) / 1000).toFixed(1)} s | ${recovery} |`;
    }),
  ];
  const problems = [...ledger.wrong, ...ledger.unreadableFrames.slice(0, 20), ...ledger.silentWhileHeld, ...unexpectedCloses.map(([k, n]) => `closed ${k}: ${n}`), ...lostAttempts.slice(0, 20).map((a) => `lost: ${a.cid} ${a.action} sent ${new Date(a.sentAt).toISOString()} (${a.outcome})`), ...lostTx.slice(0, 20).map((l) => `never answered: ${l.cid} ${l.action} ${l.key}`), ...lostCommands.slice(0, 20).map((c) => `command never ended: ${c.cid} ${c.action} sent ${new Date(c.sentAt).toISOString()}, ${c.receivedBy.length ? "reached the charge point" : "never reached the charge point"}`)];
  if (problems.length) lines.push("", "Problems (first of each kind):", "", ...problems.slice(0, 60).map((p) => `- ${p}`));
  return {
    passed,
    markdown: `${lines.join("\n")}\n`,
    data: { closes: ledger.closeLog, seed, options, passed, lost, wrong: ledger.wrong, silentWhileHeld: ledger.silentWhileHeld, faults, start, end, outcomes: Object.fromEntries(byOutcome), refusedBy: Object.fromEntries(refusedBy), commandErrors: Object.fromEntries(commandErrors), redelivered, resentSeen, commandDuplicates, reconnects },
  };
}
