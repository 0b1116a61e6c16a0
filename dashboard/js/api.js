// The management API (/api/v5), with the key and secret the operator signed in with. They live in this module's
// memory only: no cookie, no storage, gone when the tab closes or reloads.
const BASE = "/api/v5/gateways/ocpp";
let authorization;

export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

export function signedIn() {
  return authorization !== undefined;
}

export function signOut() {
  authorization = undefined;
}

/** Checks the key and secret against the API; kept only when the API accepts them. */
export async function signIn(key, secret) {
  const candidate = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${key}:${secret}`)))}`;
  await call("GET", "", undefined, candidate);
  authorization = candidate;
}

export async function call(method, path, body, auth = authorization) {
  const headers = { Authorization: auth ?? "", "X-Requested-With": "ocpp-gateway-dashboard" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${BASE}${path}`, { method, headers, cache: "no-store", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  const data = text === "" ? undefined : JSON.parse(text);
  if (!res.ok) {
    if (res.status === 401 && auth === authorization && authorization !== undefined) {
      signOut();
      location.hash = "#/signin";
    }
    throw new ApiFailure(res.status, data);
  }
  return data;
}

/** The live trace of one charge point: a token from the API, offered as a WebSocket subprotocol. */
export async function openTrace(clientid) {
  const { protocols } = await call("POST", `/clients/${encodeURIComponent(clientid)}/trace`);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return new WebSocket(`${scheme}//${location.host}${BASE}/clients/${encodeURIComponent(clientid)}/trace`, protocols);
}
