export interface StartedBroker {
  readonly tcpPort: number;
  readonly wsPort: number;
  readonly tcpUrl: string;
  readonly wsUrl: string;
  close(): Promise<void>;
}
export function startBroker(options?: {
  host?: string;
  tcpPort?: number;
  wsPort?: number;
  username?: string;
  password?: string;
  log?: (line: string) => void;
}): Promise<StartedBroker>;
