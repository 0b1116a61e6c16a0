/**
 * The authenticator and its users in KV. A user is stored under its id with its salted hash and the algorithm it
 * was hashed with; `is_superuser` is also kept in the key's metadata so listing users reads no values.
 */
import { hashPassword, verifyPassword, type HashAlgorithm, type PasswordHash } from "../auth/passwords";

export interface Authenticator {
  readonly backend: "built_in_database";
  readonly mechanism: "password_based";
  readonly enable?: boolean;
  readonly user_id_type?: "username" | "clientid";
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

const AUTHENTICATOR_KEY = "gateway/auth/authenticator";
const USER_PREFIX = "gateway/auth/users/";

const userKey = (userId: string) => USER_PREFIX + encodeURIComponent(userId);

/** Verified against when a user does not exist, so that the answer takes as long as for one that does. */
let decoy: Promise<PasswordHash> | undefined;

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
    for (const user of await this.listUsers()) await this.kv.delete(userKey(user.user_id));
  }

  getUser(userId: string): Promise<StoredUser | null> {
    return this.kv.get<StoredUser>(userKey(userId), { type: "json" });
  }

  async putUser(userId: string, password: string, isSuperuser: boolean, algorithm?: HashAlgorithm): Promise<UserSummary> {
    const record: StoredUser = { user_id: userId, is_superuser: isSuperuser, ...(await hashPassword(password, algorithm)) };
    await this.saveUser(record);
    return { user_id: userId, is_superuser: isSuperuser };
  }

  async saveUser(record: StoredUser): Promise<void> {
    await this.kv.put(userKey(record.user_id), JSON.stringify(record), { metadata: { is_superuser: record.is_superuser } });
  }

  async deleteUser(userId: string): Promise<void> {
    await this.kv.delete(userKey(userId));
  }

  async listUsers(): Promise<UserSummary[]> {
    const users: UserSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.kv.list<{ is_superuser?: boolean }>({ prefix: USER_PREFIX, ...(cursor ? { cursor } : {}) });
      for (const key of page.keys) {
        users.push({ user_id: decodeURIComponent(key.name.slice(USER_PREFIX.length)), is_superuser: key.metadata?.is_superuser === true });
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    return users.sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
  }

  /** Checks a password; takes about as long for an unknown user as for a wrong password. */
  async verify(userId: string, password: string): Promise<boolean> {
    const user = await this.getUser(userId);
    if (user === null) {
      decoy ??= hashPassword(crypto.randomUUID());
      await verifyPassword(await decoy, password);
      return false;
    }
    return verifyPassword(user, password);
  }
}
