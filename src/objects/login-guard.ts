/**
 * LoginGuard Durable Object: the failed-login ledger (src/auth/throttle.ts) of ONE credential or ONE source address,
 * named `user:<sha256 of the user id>`, `admin` or `source:<address key>`. One object per key, so the fleet's
 * reconnect after a deploy spreads over as many objects as there are chargers, and no object is on every login's
 * path. Failures and known sources are kept in storage (one small value; a write per failure and at most one per
 * source per day on success); admitted attempts that are still running are kept in memory only.
 */
import { DurableObject } from "cloudflare:workers";
import { FailureLedger, parseGuardState, type Admission, type Outcome } from "../auth/throttle";
import { errorMessage, log } from "../log";

const STATE_KEY = "state";

export class LoginGuard extends DurableObject<Env> {
  private ledger = new FailureLedger({ known: {}, failures: {} }, Date.now);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.ledger = new FailureLedger(parseGuardState(await ctx.storage.get(STATE_KEY)), Date.now);
    });
  }

  /** See FailureLedger.admit. */
  async admit(source: string | null, limit: number): Promise<Admission> {
    return this.ledger.admit(source, limit);
  }

  /** See FailureLedger.finish; the outcome is stored before this returns. */
  async finish(ticket: string, outcome: Outcome): Promise<void> {
    try {
      if (!this.ledger.finish(ticket, outcome)) return;
      if (this.ledger.isEmpty()) await this.ctx.storage.delete(STATE_KEY);
      else await this.ctx.storage.put(STATE_KEY, this.ledger.snapshot());
    } catch (error) {
      log("error", "login_guard_store_failed", { error: errorMessage(error) });
    }
  }
}
