/** Ten years, the longest duration or advance the emulator accepts (seconds). */
export const MAX_SECONDS = 315_360_000
/** The largest result TTL, as `X-Result-TTL` allows (seconds). */
export const MAX_RESULT_TTL = 2_147_483_647
/**
 * The latest emulated time (9000-01-01T00:00:00Z): a clock never moves past it by a request or an
 * import, so that every time a task can hold (plus ten years of durations and a 68-year result
 * TTL) still prints as an ISO-8601 time with a 4-digit year, which a state file needs.
 */
export const MAX_EMULATED_TIME = Date.UTC(9000, 0, 1)

/** CRDBs one engine keeps at most, unless told otherwise (`--max-crdbs`). */
export const DEFAULT_MAX_CRDBS = 1000

/** Events one run-until may fire at the most, so that a mistake cannot spin forever. */
export const MAX_RUN_EVENTS = 10_000_000
