/** Ten years, the longest duration or advance the emulator accepts (seconds). */
export const MAX_SECONDS = 315_360_000
/** The largest result TTL, as `X-Result-TTL` allows (seconds). */
export const MAX_RESULT_TTL = 2_147_483_647
/** Events one run-until may fire at the most, so that a mistake cannot spin forever. */
export const MAX_RUN_EVENTS = 10_000_000
