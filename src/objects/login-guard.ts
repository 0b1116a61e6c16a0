/**
 * LoginGuard Durable Object: the login ledger of ONE credential (`user:<sha256 of the user id>`, `admin`,
 * `authenticator`; src/auth/credential-ledger.ts) or ONE source address (`source:<address key>`;
 * src/auth/source-ledger.ts); rules in src/auth/throttle.ts. One object per key, so the fleet's reconnect after a
 * deploy spreads over as many objects as there are chargers, and no object is on every login's path.
 *
 * What must survive an eviction is stored (one small value per ledger, written on a failure, on a new or day-old
 * known source, on a change through the API); attempts in progress and recent successes are in memory only. The
 * object's alarm is kept at the time its stored state next loses something, and deletes what has left its window:
 * once every window has ended the object holds nothing, whatever name an attacker had it created under.
 */
import { DurableObject } from "cloudflare:workers";
import { CredentialLedger, EMPTY_CREDENTIAL, parseCredentialState } from "../auth/credential-ledger";
import { EMPTY_SOURCE, parseSourceState, SourceLedger } from "../auth/source-ledger";
import type { Admission, Outcome } from "../auth/throttle";
import { errorMessage, log } from "../log";

const CREDENTIAL_KEY = "credential";
const SOURCE_KEY = "source";
/** The single value an earlier version kept (`{known, failures}`); read once, then replaced by the two above. */
const LEGACY_KEY = "state";

type Ledger = "credential" | "source";

// A function, not `Date.now` itself, so the clock is read where it is called (tests move it).
const now = () => Date.now();

export class LoginGuard extends DurableObject<Env> {
  private credential = new CredentialLedger(EMPTY_CREDENTIAL, now);
  private source = new SourceLedger(EMPTY_SOURCE, now);
  /** The alarm as set in storage (null: none). */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      try {
        const stored = await ctx.storage.get([CREDENTIAL_KEY, SOURCE_KEY, LEGACY_KEY]);
        const legacy = stored.get(LEGACY_KEY);
        this.credential = new CredentialLedger(parseCredentialState(stored.get(CREDENTIAL_KEY) ?? legacy), now);
        this.source = new SourceLedger(parseSourceState(stored.get(SOURCE_KEY) ?? legacy), now);
        this.alarmAt = await ctx.storage.getAlarm();
        if (legacy !== undefined) {
          await ctx.storage.delete(LEGACY_KEY);
          await this.save(["credential", "source"]);
        } else if (this.alarmAt === null) {
          // State stored without its alarm (an earlier version set none) gets one now.
          await this.save([]);
        }
      } catch (error) {
        // Starting empty forgets at most a window of failures; refusing every login would lock everyone out.
        log("error", "login_guard_load_failed", { error: errorMessage(error) });
      }
    });
  }

  /** See CredentialLedger.admit. */
  async admitCredential(source: string, loginsPerMinute: number | null): Promise<Admission> {
    return this.credential.admit(source, loginsPerMinute);
  }

  /** See CredentialLedger.finish; the outcome is stored before this returns. */
  async finishCredential(ticket: string, outcome: Outcome): Promise<void> {
    if (this.credential.finish(ticket, outcome)) await this.saveLogged(["credential"]);
  }

  /** See CredentialLedger.markChanged; false when it could not be stored. */
  async markChanged(): Promise<boolean> {
    this.credential.markChanged();
    return this.saveLogged(["credential"]);
  }

  /** See CredentialLedger.mayRewrite. */
  async mayRewrite(): Promise<boolean> {
    return this.credential.mayRewrite();
  }

  /** See SourceLedger.admit. */
  async admitSource(credential: string): Promise<Admission> {
    return this.source.admit(credential);
  }

  /** See SourceLedger.finish; the outcome is stored before this returns. */
  async finishSource(ticket: string, outcome: Outcome): Promise<void> {
    if (this.source.finish(ticket, outcome)) await this.saveLogged(["source"]);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const expired: Ledger[] = [];
    if (this.credential.expire()) expired.push("credential");
    if (this.source.expire()) expired.push("source");
    if (await this.saveLogged(expired)) return;
    // Storage failed: try again later rather than keep the state for good.
    await this.ctx.storage.setAlarm(now() + 60_000).catch(() => undefined);
  }

  private async saveLogged(ledgers: readonly Ledger[]): Promise<boolean> {
    try {
      await this.save(ledgers);
      return true;
    } catch (error) {
      log("error", "login_guard_store_failed", { error: errorMessage(error) });
      return false;
    }
  }

  /** Stores `ledgers` (each deleted when empty), then keeps the alarm at the ledgers' next expiry. */
  private async save(ledgers: readonly Ledger[]): Promise<void> {
    const { storage } = this.ctx;
    if (ledgers.includes("credential")) {
      if (this.credential.isEmpty()) await storage.delete(CREDENTIAL_KEY);
      else await storage.put(CREDENTIAL_KEY, this.credential.snapshot());
    }
    if (ledgers.includes("source")) {
      if (this.source.isEmpty()) await storage.delete(SOURCE_KEY);
      else await storage.put(SOURCE_KEY, this.source.snapshot());
    }
    const ends = [this.credential.nextExpiry(), this.source.nextExpiry()].filter((t): t is number => t !== null);
    if (ends.length === 0) {
      if (this.alarmAt !== null) await storage.deleteAlarm();
      this.alarmAt = null;
      return;
    }
    const next = Math.min(...ends);
    // An earlier alarm finds nothing to drop and sets the next one; a later one would keep expired state.
    if (this.alarmAt === null || next < this.alarmAt) {
      await storage.setAlarm(next);
      this.alarmAt = next;
    }
  }
}
