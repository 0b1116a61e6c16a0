/**
 * Which credential a charge point's login checks, and what is kept as its user name (OCPP 1.6 security
 * whitepaper, security profiles 1 and 2, and OCPP 2.0.1 A00.FR.201–203: the HTTP Basic user name is the charge
 * point's identity, the password is that charge point's own).
 *
 * - `user_id_type: username` (default): the Basic user name names the user and must equal the charge point id in
 *   the URL, unless that user has `is_superuser: true` (e.g. a test tool or a local controller speaking for several
 *   charge points). Otherwise one charger's password would open another's session and replace the real one.
 * - `user_id_type: clientid`: the charge point id names the user (EMQX); the Basic user name is not needed. It is
 *   kept as the connection's user name only when it equals the id (so it was checked); any other is ignored.
 */

export type UserIdType = "username" | "clientid";

export interface LoginSubject {
  /** The user whose password is checked and whose failures are counted. */
  readonly userId: string;
  /** The user name kept with the connection once the password is right. */
  readonly username: string | undefined;
}

export function loginSubject(type: UserIdType, cid: string, basicUsername: string): LoginSubject {
  if (type === "clientid") return { userId: cid, username: basicUsername === cid ? cid : undefined };
  return { userId: basicUsername, username: basicUsername };
}

/** Whether `userId`'s password may open the session of charge point `cid`. */
export function mayConnectAs(type: UserIdType, cid: string, userId: string, user: { readonly is_superuser: boolean }): boolean {
  return type === "clientid" || userId === cid || user.is_superuser;
}
