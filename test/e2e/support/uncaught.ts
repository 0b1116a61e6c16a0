// Lines of a gateway's log that report an uncaught error.
//
// One such line is the runtime's, not the gateway's: when a charge point's socket that never carried a message is
// closed by the charge point, workerd answers the Close and then reports the end of the connection as
// "Uncaught Error: Network connection lost." — also when the gateway leaves the answer to the runtime (a socket
// accepted without allowHalfOpen) and with no handler of the gateway's running (checked locally with a client that
// opens a connection and closes it; a socket that carried one frame ends without it). Every other uncaught line
// counts.
const RUNTIME_LOST_CONNECTION = /Uncaught Error: Network connection lost\.(\s|\x1b\[0m)*$/;

export function uncaughtLines(output: string, alsoAllowed?: RegExp): string[] {
  return output
    .split("\n")
    .filter((line) => /Uncaught/.test(line) && !RUNTIME_LOST_CONNECTION.test(line) && !(alsoAllowed?.test(line) ?? false));
}
