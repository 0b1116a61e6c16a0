// What most end-to-end test files need: a CSMS subscribed to the gateway's topics, and charge points that are
// closed when the file is done.
import { afterAll, beforeAll, inject } from "vitest";
import { connectChargePoint, type ChargePointOptions, type RecordingClient } from "./charge-point";
import { Csms } from "./csms";

export interface GatewayContext {
  /** The CSMS (available inside tests and hooks). */
  readonly csms: Csms;
  chargePoint(identity: string, password?: string, options?: ChargePointOptions): Promise<RecordingClient>;
}

export function useGateway(filter = "ocpp/#"): GatewayContext {
  let csms: Csms | undefined;
  const clients: RecordingClient[] = [];
  beforeAll(async () => {
    csms = await Csms.connect(inject("mqttUrl"), filter);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.close({ code: 1000 }).catch(() => undefined)));
    await csms?.close();
  });
  return {
    get csms(): Csms {
      if (csms === undefined) throw new Error("the CSMS is connected in beforeAll");
      return csms;
    },
    async chargePoint(identity, password, options) {
      const cp = await connectChargePoint(inject("gatewayWs"), identity, password, options);
      clients.push(cp);
      return cp;
    },
  };
}
