/** A charge point's WebSocket opened through the real Worker (SELF), for tests inside workerd. */
import { SELF } from "cloudflare:test";

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export class ChargePointSocket {
  private readonly frames: string[] = [];
  private readonly waiting = new Set<() => void>();
  closed: Closed | undefined;

  private constructor(
    readonly ws: WebSocket,
    readonly response: Response,
  ) {
    ws.addEventListener("message", (e) => {
      this.frames.push(typeof e.data === "string" ? e.data : "<binary>");
      for (const w of this.waiting) w();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      for (const w of this.waiting) w();
    });
  }

  /** `cf`: where Cloudflare's edge received the request (miniflare's own is continent NA → region enam). */
  static async open(cid: string, protocols: string | null = "ocpp1.6", cf?: { colo?: string; continent?: string }): Promise<ChargePointSocket> {
    const headers: Record<string, string> = { Upgrade: "websocket" };
    if (protocols !== null) headers["Sec-WebSocket-Protocol"] = protocols;
    const response = await SELF.fetch(`http://gateway/ocpp/${encodeURIComponent(cid)}`, { headers, ...(cf === undefined ? {} : { cf }) });
    const ws = response.webSocket;
    if (response.status !== 101 || ws === null) {
      throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
    }
    ws.accept();
    return new ChargePointSocket(ws, response);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  private wait<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = probe();
        if (value === undefined) return false;
        this.waiting.delete(listener);
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.waiting.delete(listener);
        reject(new Error(`charge point: no ${what} within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      if (!check()) this.waiting.add(listener);
    });
  }

  /** Next frame received (parsed), oldest first. */
  nextFrame(timeoutMs = 5000): Promise<unknown[]> {
    return this.wait(() => {
      const f = this.frames.shift();
      return f === undefined ? undefined : (JSON.parse(f) as unknown[]);
    }, "frame", timeoutMs);
  }

  whenClosed(timeoutMs = 5000): Promise<Closed> {
    return this.wait(() => this.closed, "close", timeoutMs);
  }

  close(code = 1000): void {
    try {
      this.ws.close(code);
    } catch {
      // already closed
    }
  }
}
