// Runs in workerd before each test file. Console output of the gateway's objects is kept here and written out from
// the test's own context after each test (and after the file), instead of at once from the object that logged it.
// @cloudflare/vitest-pool-workers 0.15.1 forwards an object's console output with I/O of that object; an object
// that abortAllDurableObjects() ended (a shard restart in the tests) can still log — its sockets report the lost
// connection — and that forwarding then never completes, so the run never ends (cloudflare/workers-sdk#14180,
// fixed in pool releases that need Node 22). Vitest still shows the lines only for tests that fail.
import { afterAll, afterEach } from "vitest";

type Method = "log" | "info" | "debug" | "warn" | "error";
const METHODS: readonly Method[] = ["log", "info", "debug", "warn", "error"];

const original = Object.fromEntries(METHODS.map((m) => [m, console[m].bind(console)])) as Record<Method, (...args: unknown[]) => void>;
let held: [Method, unknown[]][] = [];

for (const m of METHODS) console[m] = (...args: unknown[]) => void held.push([m, args]);

function flush(): void {
  const lines = held;
  held = [];
  for (const [m, args] of lines) original[m](...args);
}

afterEach(flush);
afterAll(flush);
