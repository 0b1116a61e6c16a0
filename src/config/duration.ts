/** Duration strings of the configuration (EMQX style): a whole number followed by `ms`, `s`, `m` or `h`. */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Milliseconds of `duration`, or undefined when it is not a duration. */
export function parseDuration(duration: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (match === null) return undefined;
  const n = Number(match[1]);
  const unit = match[2];
  return unit === "ms" ? n : unit === "s" ? n * SECOND_MS : unit === "m" ? n * MINUTE_MS : n * HOUR_MS;
}
