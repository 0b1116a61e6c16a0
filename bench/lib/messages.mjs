// What the bench's worker threads say to it: the bench waits for one message of a given type at a time.

/** Resolves with the first message of `type` from `worker`; fails when the worker fails. */
export function waitFor(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type === type) {
        worker.off("message", onMessage);
        resolve(m);
      }
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
  });
}
