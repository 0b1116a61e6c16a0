// Charge points for end-to-end tests: ocpp-rpc's RPCClient (an independent OCPP-J implementation), recording the
// frames it sends so tests can read the UniqueIds it chose.
import { RPCClient } from "ocpp-rpc";
import type WebSocket from "ws";

export interface RecordingClient {
  readonly client: RPCClient;
  /** Parsed frames this client sent, in order. */
  readonly sent: unknown[][];
  /** Parsed frames this client received, in order. */
  readonly received: unknown[][];
}

/**
 * Options for every `ws` client of the tests. `ws` reports 'close' only once the server ends the TCP connection,
 * and local workerd ends it ~10 s late after closing a socket that never carried a message (README,
 * Troubleshooting); the Close frame, with its code and reason, arrives at once. Giving up on the TCP end after
 * 2 s keeps such closes fast; a socket that carried a message ends within milliseconds.
 */
export const WS_CLIENT_OPTIONS: WebSocket.ClientOptions = { closeTimeout: 2_000 };

declare module "ws" {
  interface ClientOptions {
    /** ms to wait for the server to end the connection after the closing handshake (ws 8.23; not in @types/ws 8.18). */
    closeTimeout?: number;
  }
}

export interface ChargePointOptions {
  /** Subprotocols offered, in order of preference (default: ocpp1.6). */
  readonly protocols?: readonly string[];
  /** ocpp-rpc's strict mode: it validates every call and response against its own copy of the schemas. */
  readonly strictMode?: boolean;
}

export async function connectChargePoint(endpoint: string, identity: string, password?: string, more: ChargePointOptions = {}): Promise<RecordingClient> {
  // ocpp-rpc's declarations mark every option as required although the library defaults them.
  const options = {
    endpoint,
    identity,
    protocols: more.protocols ?? ["ocpp1.6"],
    strictMode: more.strictMode ?? false,
    reconnect: false,
    callTimeoutMs: 15_000,
    wsOpts: WS_CLIENT_OPTIONS,
    ...(password === undefined ? {} : { password }),
  };
  const client = new RPCClient(options as unknown as ConstructorParameters<typeof RPCClient>[0]);
  const sent: unknown[][] = [];
  const received: unknown[][] = [];
  client.on("message", ({ message, outbound }: { message: Buffer | string; outbound: boolean }) => {
    const frame = JSON.parse(message.toString()) as unknown[];
    (outbound ? sent : received).push(frame);
  });
  await client.connect();
  return { client, sent, received };
}

/** UniqueId of the last CALL of `action` the client sent. */
export function lastCallId(cp: RecordingClient, action: string): string {
  const frame = cp.sent.filter((f) => f[0] === 2 && f[2] === action).at(-1);
  if (frame === undefined) throw new Error(`no ${action} call was sent`);
  return frame[1] as string;
}
