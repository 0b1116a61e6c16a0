/**
 * `/gateways/ocpp/authentication` and `/authentication/users[/{user_id}]` (EMQX shapes): one authenticator
 * (built-in database, password based) and its users. Passwords are stored as salted hashes and never returned.
 * A new user id must fit the id profile (src/ocpp/identity.ts) and be one HTTP Basic can carry (no `:`), so every
 * user created can log in. Every write of a user (and the authenticator's deletion) is first recorded in its
 * LoginGuard, so a login that read the record before cannot write it back (src/http/rehash.ts).
 */
import { Hono } from "hono";
import { passwordProblem } from "../../auth/password-rules";
import { DEFAULT_HASH_ALGORITHM } from "../../auth/passwords";
import { validateAuthenticator, validateUserCreate, validateUserUpdate } from "../../generated/gateway-validators.gen.js";
import { AuthStore, type Authenticator } from "../../auth/store";
import { userIdProblem } from "../../ocpp/identity";
import { ApiError } from "../errors";
import { AUTHENTICATOR_CREDENTIAL, LoginThrottle, userCredential } from "../login-throttle";
import { jsonBody, meta, paging, validated } from "./request";

/** The authenticator as shown: EMQX's fields with their defaults filled in. */
function view(a: Authenticator) {
  return {
    id: "password_based:built_in_database",
    backend: a.backend,
    mechanism: a.mechanism,
    enable: a.enable ?? true,
    user_id_type: a.user_id_type ?? "username",
    password_rules: a.password_rules ?? "any",
    password_hash_algorithm: a.password_hash_algorithm ?? DEFAULT_HASH_ALGORITHM,
  };
}

async function existing(store: AuthStore): Promise<Authenticator> {
  const authenticator = await store.getAuthenticator();
  if (authenticator === null) throw new ApiError(404, "RESOURCE_NOT_FOUND", "no authenticator is configured");
  return authenticator;
}

/** A password the authenticator's rules say no charger could have: 400. */
function checkPassword(authenticator: Authenticator, password: string): void {
  const problem = passwordProblem(authenticator.password_rules ?? "any", password);
  if (problem !== undefined) throw new ApiError(400, "BAD_REQUEST", `password: ${problem}`, { reason: "password_not_allowed" });
}

/** Before `userId`'s record is written or deleted (see src/http/rehash.ts). */
async function changing(env: Env, userId: string): Promise<void> {
  await new LoginThrottle(env.LOGIN_GUARD).changing(await userCredential(userId));
}

const userNotFound = (userId: string) => new ApiError(404, "RESOURCE_NOT_FOUND", `user '${userId}' not found`);

export const authenticationApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const authenticator = await new AuthStore(c.env.GATEWAY_KV).getAuthenticator();
    return authenticator === null ? c.body(null, 204) : c.json(view(authenticator));
  })
  .post("/", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    const authenticator = validated<Authenticator>(validateAuthenticator, await jsonBody(c));
    if ((await store.getAuthenticator()) !== null) {
      throw new ApiError(409, "ALREADY_EXISTS", "an authenticator is already configured; PUT changes it");
    }
    await store.putAuthenticator(authenticator);
    return c.json(view(authenticator), 201);
  })
  .put("/", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    const authenticator = validated<Authenticator>(validateAuthenticator, await jsonBody(c));
    await existing(store);
    await store.putAuthenticator(authenticator);
    return c.json(view(authenticator));
  })
  .delete("/", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    await existing(store);
    await new LoginThrottle(c.env.LOGIN_GUARD).changing(AUTHENTICATOR_CREDENTIAL);
    await store.deleteAuthenticator();
    return c.body(null, 204);
  })
  .get("/users", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    await existing(store);
    const page = paging(c);
    const like = c.req.query("like_user_id");
    const users = (await store.listUsers()).filter((u) => !like || u.user_id.includes(like));
    const start = (page.page - 1) * page.limit;
    return c.json({ data: users.slice(start, start + page.limit), meta: meta(page, users.length) });
  })
  .post("/users", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    const authenticator = await existing(store);
    const body = validated<{ user_id: string; password: string; is_superuser?: boolean }>(validateUserCreate, await jsonBody(c));
    const problem = userIdProblem(body.user_id);
    if (problem !== undefined) throw new ApiError(400, "BAD_REQUEST", `user_id: ${problem.message}`, { reason: problem.reason });
    checkPassword(authenticator, body.password);
    if ((await store.getUser(body.user_id)) !== null) throw new ApiError(409, "ALREADY_EXISTS", `user '${body.user_id}' already exists`);
    await changing(c.env, body.user_id);
    const user = await store.putUser(body.user_id, body.password, body.is_superuser ?? false, authenticator.password_hash_algorithm);
    return c.json(user, 201);
  })
  .get("/users/:userId", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    await existing(store);
    const userId = c.req.param("userId");
    const user = await store.getUser(userId);
    if (user === null) throw userNotFound(userId);
    return c.json({ user_id: user.user_id, is_superuser: user.is_superuser });
  })
  .put("/users/:userId", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    const authenticator = await existing(store);
    const userId = c.req.param("userId");
    const body = validated<{ user_id?: string; password?: string; is_superuser?: boolean }>(validateUserUpdate, await jsonBody(c));
    if (body.user_id !== undefined && body.user_id !== userId) throw new ApiError(400, "BAD_REQUEST", "user_id: must match the path");
    const user = await store.getUser(userId);
    if (user === null) throw userNotFound(userId);
    const isSuperuser = body.is_superuser ?? user.is_superuser;
    if (body.password !== undefined) checkPassword(authenticator, body.password);
    await changing(c.env, userId);
    if (body.password !== undefined) {
      return c.json(await store.putUser(userId, body.password, isSuperuser, authenticator.password_hash_algorithm));
    }
    await store.saveUser({ ...user, is_superuser: isSuperuser });
    return c.json({ user_id: userId, is_superuser: isSuperuser });
  })
  .delete("/users/:userId", async (c) => {
    const store = new AuthStore(c.env.GATEWAY_KV);
    await existing(store);
    const userId = c.req.param("userId");
    if ((await store.getUser(userId)) === null) throw userNotFound(userId);
    await changing(c.env, userId);
    await store.deleteUser(userId);
    return c.body(null, 204);
  });
