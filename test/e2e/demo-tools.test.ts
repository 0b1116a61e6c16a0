// The walkthrough tools as a user runs them: `npm run csms` (tools/csms.mjs, MQTT.js) and `npm run simulate`
// (tools/simulate.mjs, ocpp-rpc) as child processes against the gateway the suite started. What is checked is what
// they print: a charging session of the simulator reaches the back office and is answered, and commands typed into
// the back office reach the simulator and come back answered, with their Action.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { exited } from "./support/processes";

/** One printed message: `12:00:01.123 [CP1] → CALL BootNotification <id> {…}`. */
interface Line {
  readonly who: string;
  readonly arrow: "→" | "←";
  readonly kind: string;
  readonly action: string;
  readonly id: string;
  readonly rest: string;
}

const payload = (l: Line): unknown => JSON.parse(l.rest);
/** A StatusNotification saying the connector is free again (1.6 `status`, 2.x `connectorStatus`). */
const available = (p: unknown): boolean => (p as { status?: string }).status === "Available" || (p as { connectorStatus?: string }).connectorStatus === "Available";

const LINE = /^\d\d:\d\d:\d\d\.\d{3} \[([^\]]+)\] (→|←) (CALL|RESULT|ERROR|SEND|RESULTERROR) (\S+) (\S+) (.*)$/;

class Tool {
  readonly lines: string[] = [];
  private waiters: { match: (l: Line) => boolean; resolve: (l: Line) => void; reject: (e: Error) => void }[] = [];
  private texts: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split("\n");
      partial = parts.pop() ?? "";
      for (const text of parts) this.add(text);
    });
    child.stderr.on("data", (chunk: Buffer) => this.lines.push(`stderr: ${chunk.toString()}`));
    child.once("exit", (code) => {
      const error = new Error(`exited (${code}) while a test waited for its output:\n${this.lines.join("\n")}`);
      for (const w of [...this.waiters, ...this.texts]) w.reject(error);
    });
  }

  static start(script: string, args: string[]): Tool {
    return new Tool(spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] }));
  }

  private add(text: string): void {
    this.lines.push(text);
    this.texts = this.texts.filter((t) => !(text.includes(t.text) && (t.resolve(), true)));
    const m = LINE.exec(text);
    if (m === null) return;
    const [, who, arrow, kind, action, id, rest] = m as unknown as [string, string, "→" | "←", string, string, string, string];
    const line = { who, arrow, kind, action, id, rest };
    this.waiters = this.waiters.filter((w) => !(w.match(line) && (w.resolve(line), true)));
  }

  /** The first message printed from now on that matches, and whose payload passes `test` (the test's timeout bounds the wait). */
  next(match: Partial<Pick<Line, "who" | "arrow" | "kind" | "action" | "id">>, test: (payload: unknown) => boolean = () => true): Promise<Line> {
    return new Promise((resolve, reject) => {
      const fits = (l: Line): boolean => Object.entries(match).every(([k, v]) => l[k as keyof Line] === v) && test(payload(l));
      this.waiters.push({ match: fits, resolve, reject });
    });
  }

  /** Resolves once a line containing `text` was printed (before or after this call). */
  printed(text: string): Promise<void> {
    if (this.lines.some((l) => l.includes(text))) return Promise.resolve();
    return new Promise((resolve, reject) => this.texts.push({ text, resolve, reject }));
  }

  type(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }

  /** Ctrl-C as the user would send it; resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.child.kill("SIGINT");
    return exited(this.child);
  }
}


let csms: Tool;
beforeAll(async () => {
  csms = Tool.start("tools/csms.mjs", ["--url", inject("mqttUrl")]);
  await csms.printed("subscribed to ocpp/#");
});
afterAll(async () => {
  expect(await csms?.stop()).toBe(0);
});

describe(`npm run simulate and npm run csms (${inject("broker")} broker)`, () => {
  it("OCPP 1.6: boot and a charging session reach the back office and are answered; remote start and stop typed into it are answered by the simulator", async () => {
    const cid = `demo16-${process.pid}`;
    const gets = (action: string, kind = "CALL") => csms.next({ who: cid, arrow: "←", kind, action });
    const boot = gets("BootNotification");
    const authorize = gets("Authorize");
    const start = gets("StartTransaction");
    const meter = gets("MeterValues");
    const stopTx = gets("StopTransaction");
    const sim = Tool.start("tools/simulate.mjs", [cid, "--url", inject("gatewayWs"), "--transaction", "--meter-interval", "1", "--samples", "2"]);
    const started = sim.next({ who: cid, arrow: "←", kind: "RESULT", action: "StartTransaction" });
    const stopped = sim.next({ who: cid, arrow: "←", kind: "RESULT", action: "StopTransaction" });
    const free = stopped.then(() => csms.next({ who: cid, arrow: "←", kind: "CALL", action: "StatusNotification" }, available));
    try {
      expect(payload(await boot)).toEqual({ chargePointVendor: "ocpp-mqtt-gateway", chargePointModel: "simulator" });
      expect(payload(await authorize)).toEqual({ idTag: "TAG1" });
      const startCall = await start;
      expect(payload(startCall)).toMatchObject({ connectorId: 1, idTag: "TAG1", meterStart: 0 });
      // The back office's answer, with the transaction id it chose, reached the simulator under the same UniqueId.
      const startAnswer = await started;
      expect(startAnswer.id).toBe(startCall.id);
      const { transactionId } = payload(startAnswer) as { transactionId: number };
      expect(payload(startAnswer)).toEqual({ transactionId, idTagInfo: { status: "Accepted" } });
      expect(payload(await meter)).toMatchObject({ connectorId: 1, transactionId, meterValue: [{ sampledValue: [{ measurand: "Energy.Active.Import.Register", unit: "Wh" }] }] });
      expect(payload(await stopTx)).toMatchObject({ transactionId, idTag: "TAG1", reason: "Local" });
      await free;

      // A command typed into the back office: it reaches the simulator, which answers it and acts on it.
      const command = csms.next({ who: cid, arrow: "→", kind: "CALL", action: "RemoteStartTransaction" });
      const received = sim.next({ who: cid, arrow: "←", kind: "CALL", action: "RemoteStartTransaction" });
      const answer = csms.next({ who: cid, arrow: "←", kind: "RESULT", action: "RemoteStartTransaction" });
      const remoteStart = gets("StartTransaction");
      csms.type(`remote-start ${cid} TAG7`);
      const sent = await command;
      expect((await received).id).toBe(sent.id);
      expect(payload(await received)).toEqual({ idTag: "TAG7" });
      expect(await answer).toMatchObject({ id: sent.id, rest: '{"status":"Accepted"}' });
      expect(payload(await remoteStart)).toMatchObject({ connectorId: 1, idTag: "TAG7" });

      const stopAnswer = csms.next({ who: cid, arrow: "←", kind: "RESULT", action: "RemoteStopTransaction" });
      const remoteStop = gets("StopTransaction");
      csms.type(`remote-stop ${cid}`);
      expect(payload(await stopAnswer)).toEqual({ status: "Accepted" });
      expect(payload(await remoteStop)).toMatchObject({ idTag: "TAG7", reason: "Remote" });

      const config = csms.next({ who: cid, arrow: "←", kind: "RESULT", action: "GetConfiguration" });
      csms.type(`get-config ${cid} HeartbeatInterval Nope`);
      expect(payload(await config)).toEqual({ configurationKey: [{ key: "HeartbeatInterval", readonly: false, value: "60" }], unknownKey: ["Nope"] });
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it("OCPP 2.0.1: the session arrives as TransactionEvents; RequestStartTransaction and Reset typed into the back office are answered", async () => {
    const cid = `demo201-${process.pid}`;
    const events: unknown[] = [];
    const ended = new Promise<void>((resolve) => {
      const collect = (): void => {
        void csms.next({ who: cid, arrow: "←", kind: "CALL", action: "TransactionEvent" }).then((l) => {
          events.push(payload(l));
          if ((payload(l) as { eventType: string }).eventType === "Ended") resolve();
          else collect();
        });
      };
      collect();
    });
    const boot = csms.next({ who: cid, arrow: "←", kind: "CALL", action: "BootNotification" });
    const sim = Tool.start("tools/simulate.mjs", [cid, "--url", inject("gatewayWs"), "--ocpp", "2.0.1", "--transaction", "--meter-interval", "1", "--samples", "2"]);
    try {
      await sim.printed(`connected (ocpp2.0.1)`);
      expect(payload(await boot)).toEqual({ chargingStation: { vendorName: "ocpp-mqtt-gateway", model: "simulator" }, reason: "PowerUp" });
      await ended;
      await csms.next({ who: cid, arrow: "←", kind: "CALL", action: "StatusNotification" }, available);
      expect(events.map((e) => (e as { eventType: string; triggerReason: string }).eventType)).toEqual(["Started", "Updated", "Updated", "Ended"]);
      expect(events[0]).toMatchObject({ triggerReason: "Authorized", idToken: { idToken: "TAG1", type: "ISO14443" }, evse: { id: 1, connectorId: 1 } });
      expect(events[3]).toMatchObject({ triggerReason: "StopAuthorized", transactionInfo: { stoppedReason: "Local" } });

      const answer = csms.next({ who: cid, arrow: "←", kind: "RESULT", action: "RequestStartTransaction" });
      const received = sim.next({ who: cid, arrow: "←", kind: "CALL", action: "RequestStartTransaction" });
      const remoteStarted = csms.next({ who: cid, arrow: "←", kind: "CALL", action: "TransactionEvent" });
      csms.type(`remote-start ${cid} TAG7`);
      expect(payload(await received)).toMatchObject({ idToken: { idToken: "TAG7", type: "Central" } });
      expect(payload(await answer)).toEqual({ status: "Accepted" });
      expect(payload(await remoteStarted)).toMatchObject({ eventType: "Started", triggerReason: "RemoteStart", idToken: { idToken: "TAG7" } });

      // Reset: answered, the session ends, and the simulator boots again on a new connection.
      const reset = csms.next({ who: cid, arrow: "←", kind: "RESULT", action: "Reset" });
      const rebooted = csms.next({ who: cid, arrow: "←", kind: "CALL", action: "BootNotification" });
      csms.type(`reset ${cid} Hard`);
      expect(payload(await reset)).toEqual({ status: "Accepted" });
      expect(payload(await rebooted)).toMatchObject({ reason: "RemoteReset" });
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});
