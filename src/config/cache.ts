/**
 * The gateway configuration as a long-lived object (a shard) sees it: cached rather than read from KV per
 * message, re-read when older than `ttlMs` or when asked to, and kept when a re-read fails.
 */
import { DEFAULT_CONFIG, type GatewayConfig } from "./gateway-config";
import { errorMessage, log } from "../log";
import { loadGatewayConfig } from "./store";

export class ConfigCache {
  private cached: { readonly value: GatewayConfig; readonly at: number } | undefined;
  private loading: Promise<GatewayConfig> | undefined;

  constructor(
    private readonly env: Env,
    private readonly ttlMs: number,
    /** Called with every configuration read. */
    private readonly onLoad: (config: GatewayConfig) => void,
  ) {}

  /** The configuration, read now when `fresh`; throws only when it was never read and cannot be. */
  async get(fresh = false): Promise<GatewayConfig> {
    const cached = this.cached;
    if (!fresh && cached !== undefined && Date.now() - cached.at < this.ttlMs) return cached.value;
    this.loading ??= loadGatewayConfig(this.env)
      .then((value) => {
        this.cached = { value, at: Date.now() };
        this.onLoad(value);
        return value;
      })
      .finally(() => (this.loading = undefined));
    try {
      return await this.loading;
    } catch (e) {
      if (cached === undefined) throw e;
      log("warn", "config_reload_failed", { error: errorMessage(e) });
      return cached.value;
    }
  }

  /** The configuration last read, without waiting: the defaults before any was read. */
  peek(): GatewayConfig {
    return this.cached?.value ?? DEFAULT_CONFIG;
  }

  /** A configuration the caller read itself (the management API passes it on with a change). */
  set(value: GatewayConfig): void {
    this.cached = { value, at: Date.now() };
    this.onLoad(value);
  }

  /** The next get() reads the configuration again. */
  expire(): void {
    if (this.cached !== undefined) this.cached = { value: this.cached.value, at: 0 };
  }
}
