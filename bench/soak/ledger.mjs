// Every message of a soak, accounted for. A charge point's CALL is tried one or more times (attempts, each with
// its own UniqueId); every attempt ends answered (a CALLRESULT from the CSMS), refused (a CALLERROR), dropped (its
// connection closed first) or timed out (lost). A transaction message is one logical message re-sent after a drop
// until answered: it is lost if it never is. Every CSMS command ends answered or with an error envelope, or is
// lost. A frame that reaches a charge point it was not meant for is a wrong delivery.

export class Ledger {
  attempts = new Map(); // UniqueId → { cid, action, lid, tx, sentAt, conn, outcome, at, code }
  logical = new Map(); // lid → { cid, action, tx, created, answeredAt, tries }
  commands = new Map(); // CSMS UniqueId → { cid, action, sentAt, outcome, at, reason, receivedBy }
  csmsSeen = new Map(); // `${cid} ${UniqueId}` → times the CSMS received that CALL
  csmsLogical = new Map(); // logical key → UniqueIds the CSMS received it under
  wrong = []; // wrong deliveries, described
  unreadableFrames = []; // frames that are not OCPP-J, described
  abandonedCount = 0; // transaction messages a charge point gave up (their transaction's start was refused)
  stray = 0; // answers to a charge point's own earlier attempt, after it gave up on it
  closes = new Map(); // "code reason" → count (closes the gateway made)
  closeLog = []; // { cid, at, code, reason }
  silentWhileHeld = []; // closed for silence while its own call waited at the gateway
  csmsAnswers = new Set(); // `${cid} ${UniqueId}` the CSMS answered
  #nextLid = 0;

  newLogical(cid, action, tx, key) {
    const lid = ++this.#nextLid;
    this.logical.set(lid, { cid, action, tx, key, created: Date.now(), answeredAt: 0, tries: 0 });
    return lid;
  }

  sent(uid, cid, action, lid, conn) {
    const l = this.logical.get(lid);
    l.tries++;
    this.attempts.set(uid, { cid, action, lid, tx: l.tx, sentAt: Date.now(), conn, outcome: "pending", at: 0, code: "" });
  }

  /** A CALLRESULT or CALLERROR for the attempt in flight. */
  ended(uid, type, code) {
    const a = this.attempts.get(uid);
    a.at = Date.now();
    if (type === 3) {
      a.outcome = "answered";
      const l = this.logical.get(a.lid);
      if (l.answeredAt === 0) l.answeredAt = a.at;
      if (!this.csmsAnswers.has(`${a.cid} ${uid}`)) this.wrong.push(`${a.cid}: a CALLRESULT for ${uid} (${a.action}) that the CSMS never sent`);
    } else {
      a.outcome = "refused";
      a.code = code;
      // A refusal is final: the logical message is settled (not lost), and not re-sent.
      const l = this.logical.get(a.lid);
      if (l.answeredAt === 0) l.answeredAt = a.at;
      l.refused = code;
    }
  }

  /** A queued transaction message the charge point will never send (its transaction's start was refused). */
  abandoned(lid) {
    const l = this.logical.get(lid);
    if (l.answeredAt === 0) l.answeredAt = -1;
    this.abandonedCount++;
  }

  unreadable(what) {
    this.unreadableFrames.push(what);
  }

  dropped(uid) {
    const a = this.attempts.get(uid);
    a.outcome = "dropped";
    a.at = Date.now();
  }

  timedOut(uid) {
    const a = this.attempts.get(uid);
    a.outcome = "timeout";
    a.at = Date.now();
  }

  /** A CALLRESULT or CALLERROR `cid` received for no attempt it has in flight. */
  unexpectedAnswer(cid, uid) {
    const a = this.attempts.get(uid);
    if (a === undefined || a.cid !== cid) this.wrong.push(`${cid}: an answer to ${uid}, which it never sent`);
    else this.stray++;
  }

  closed(cid, code, reason, heldSince) {
    const k = `${code} ${reason}`.trim();
    this.closes.set(k, (this.closes.get(k) ?? 0) + 1);
    this.closeLog.push({ cid, at: Date.now(), code, reason });
    if (heldSince > 0 && /keepalive|idle|timeout/.test(reason)) this.silentWhileHeld.push(`${cid}: closed ${k} while its call of ${new Date(heldSince).toISOString()} waited`);
  }

  csmsReceived(cid, uid, key) {
    const k = `${cid} ${uid}`;
    this.csmsSeen.set(k, (this.csmsSeen.get(k) ?? 0) + 1);
    if (key === undefined) return;
    const ids = this.csmsLogical.get(key) ?? new Set();
    ids.add(uid);
    this.csmsLogical.set(key, ids);
  }

  csmsAnswered(cid, uid) {
    this.csmsAnswers.add(`${cid} ${uid}`);
  }

  commandSent(uid, cid, action) {
    this.commands.set(uid, { cid, action, sentAt: Date.now(), outcome: "pending", at: 0, reason: "", receivedBy: [] });
  }

  /** The command `uid` reached charge point `cid`. */
  commandReceived(cid, uid) {
    const c = this.commands.get(uid);
    if (c === undefined || c.cid !== cid) return this.wrong.push(`${cid}: a command ${uid} meant for ${c?.cid ?? "nobody"}`);
    c.receivedBy.push(cid);
  }

  commandEnded(cid, uid, type, reason) {
    const c = this.commands.get(uid);
    if (c === undefined) return this.wrong.push(`CSMS: an answer on ${cid}'s topic to ${uid}, which it never sent`);
    if (type === 3 && !c.receivedBy.includes(cid)) this.wrong.push(`CSMS: ${cid} answered ${uid} without having received it`);
    if (c.cid !== cid) return this.wrong.push(`${c.cid}'s command ${uid} answered on ${cid}'s topic`);
    if (c.outcome !== "pending") {
      c.duplicates = (c.duplicates ?? 0) + 1;
      return;
    }
    c.outcome = type === 3 ? "answered" : "error";
    c.reason = reason;
    c.at = Date.now();
  }

  /** Calls, transaction messages and commands not yet settled. */
  open() {
    let n = 0;
    for (const a of this.attempts.values()) if (a.outcome === "pending") n++;
    for (const l of this.logical.values()) if (l.tx && l.answeredAt === 0) n++;
    for (const c of this.commands.values()) if (c.outcome === "pending") n++;
    return n;
  }
}
