/**
 * The authenticator and its users in KV. A user is stored under `gateway/auth/user/<SHA-256 hex of its id>` — 83
 * bytes whatever the id, within KV's 512-byte key limit (an id of 64 four-byte characters percent-encoded is 768) —
 * with its salted hash and the algorithm it was hashed with. The id itself (percent-encoded, so the metadata stays
 * ASCII: at most 768 bytes, within KV's 1,024) and `is_superuser` are in the key's metadata, so listing users
 * reads no values.
 */
import { sha256Hex } from "../auth/credentials";
import type { PasswordRules } from "../auth/password-rules";
import { DEFAULT_HASH_ALGORITHM, decoyHash, hashPassword, verifyPassword, type HashAlgorithm, type PasswordHash } from "../auth/passwords";

export interface Authenticator {
  readonly backend: "built_in_database";
  readonly mechanism: "password_based";
  readonly enable?: boolean;
  readonly user_id_type?: "username" | "clientid";
  readonly password_rules?: PasswordRules;
  readonly password_hash_algorithm?: HashAlgorithm;
}

export interface StoredUser extends PasswordHash {
  readonly user_id: string;
  readonly is_superuser: boolean;
}

export interface UserSummary {
  readonly user_id: string;
  readonly is_superuser: boolean;
}

interface UserMetadata {
  /** Percent-encoded (encodeURIComponent). */
  readonly user_id?: string;
  readonly is_superuser?: boolean;
}

const AUTHENTICATOR_KEY = "gateway/auth/authenticator";
const USER_PREFIX = "gateway/auth/user/";

export const userKey = async (userId: string) => USER_PREFIX + (await sha256Hex(userId));

export class AuthStore {
  constructor(private readonly kv: KVNamespace) {}

  getAuthenticator(): Promise<Authenticator | null> {
    return this.kv.get<Authenticator>(AUTHENTICATOR_KEY, { type: "json" });
  }

  async putAuthenticator(authenticator: Authenticator): Promise<void> {
    await this.kv.put(AUTHENTICATOR_KEY, JSON.stringify(authenticator));
  }

  /** Removes the authenticator and every user. */
  async deleteAuthenticator(): Promise<void> {
    await this.kv.delete(AUTHENTICATOR_KEY);
    for (const key of await this.userKeys()) await this.kv.delete(key.name);
  }

  async getUser(userId: string): Promise<StoredUser | null> {
    const user = await this.kv.get<StoredUser>(await userKey(userId), { type: "json" });
    // A hash collision is not a practical concern; the check keeps the contract exact anyway.
    return user !== null && user.user_id === userId ? user : null;
  }

  async putUser(userId: string, password: string, isSuperuser: boolean, algorithm?: HashAlgorithm): Promise<UserSummary> {
    const record: StoredUser = { user_id: userId, is_superuser: isSuperuser, ...(await hashPassword(password, algorithm)) };
    await this.saveUser(record);
    return { user_id: userId, is_superuser: isSuperuser };
  }

  async saveUser(record: StoredUser): Promise<void> {
    const metadata: UserMetadata = { user_id: encodeURIComponent(record.user_id), is_superuser: record.is_superuser };
    await this.kv.put(await userKey(record.user_id), JSON.stringify(record), { metadata });
  }

  async deleteUser(userId: string): Promise<void> {
    await this.kv.delete(await userKey(userId));
  }

  private async userKeys(): Promise<KVNamespaceListKey<UserMetadata>[]> {
    const keys: KVNamespaceListKey<UserMetadata>[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.kv.list<UserMetadata>({ prefix: USER_PREFIX, ...(cursor ? { cursor } : {}) });
      keys.push(...page.keys);
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    return keys;
  }

  async listUsers(): Promise<UserSummary[]> {
    const users: UserSummary[] = [];
    for (const key of await this.userKeys()) {
      const userId = decodedUserId(key.metadata);
      if (userId !== undefined) users.push({ user_id: userId, is_superuser: key.metadata?.is_superuser === true });
    }
    return users.sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
  }

  /**
   * Checks `password` against `user`'s hash, or, for an unknown user (null), against a decoy made with the
   * authenticator's configured algorithm, so the answer costs the same as for a user created under it.
   */
  async checkPassword(user: StoredUser | null, password: string, authenticator: Authenticator): Promise<boolean> {
    if (user !== null) return verifyPassword(user, password);
    await verifyPassword(await decoyHash(configuredAlgorithm(authenticator)), password);
    return false;
  }
}

function decodedUserId(metadata: UserMetadata | null | undefined): string | undefined {
  if (typeof metadata?.user_id !== "string") return undefined;
  try {
    return decodeURIComponent(metadata.user_id);
  } catch {
    return undefined;
  }
}

/** The algorithm new users are hashed with (and unknown users' decoy). */
export function configuredAlgorithm(authenticator: Authenticator): HashAlgorithm {
  return authenticator.password_hash_algorithm ?? DEFAULT_HASH_ALGORITHM;
}
