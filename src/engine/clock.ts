/**
 * Emulated time. The only module that reads the system's time.
 *
 * Times are integer milliseconds since the Unix epoch. A `real` clock follows the system's
 * monotonic clock, multiplied by `scale`; a `manual` clock stands still. Both move forward on
 * `advance`, which is how tests make 500 emulated seconds pass in no time.
 */
export const CLOCK_MODES = ['real', 'manual'] as const
export type ClockMode = (typeof CLOCK_MODES)[number]

export interface Clock {
  readonly mode: ClockMode
  readonly scale: number
  /** Emulated now, in whole milliseconds. Never goes backwards. */
  now(): number
  /** Moves emulated time forward by `ms` (> 0). */
  advance(ms: number): void
  /** Puts emulated time at `ms`, even backwards: only for loading a saved state. */
  set(ms: number): void
  /** Emulated now minus the system's time: what a real clock saves, to resume after a restart. */
  offsetFromSystem(): number
  /** The system time this clock follows (ms), for resuming a saved real clock. */
  system(): number
  /** Puts a manual clock back at the time it started (a reset); a real clock is left as it is. */
  rewind(): void
}

/**
 * Where a saved clock resumes: a manual one at its saved time; a real one at the system's time
 * plus its saved offset, so time passes while the emulator is down, as it does for a cluster.
 */
export function resumeTime (saved: { mode?: ClockMode, now?: number, offsetMs?: number }, read: () => number = systemTime): number | undefined {
  if (saved.mode === 'real' && saved.offsetMs !== undefined) return Math.round(read() + saved.offsetMs)
  return saved.now
}

export interface ClockOptions {
  mode: ClockMode
  /** How many emulated milliseconds pass per real one (real mode only). Default 1. */
  scale?: number
  /** Emulated time at creation (ms since epoch). Default: the system's time now (a manual clock
   * rounds it down to a whole second, so that task times are whole seconds apart). */
  start?: number
  /** The system's time source, for tests of the real clock. Must never go backwards. */
  systemTime?: () => number
}

/** Wall-clock milliseconds that never go backwards (unlike `Date.now()` under NTP steps). */
export const systemTime = (): number => performance.timeOrigin + performance.now()

export function createClock (options: ClockOptions): Clock {
  const read = options.systemTime ?? systemTime
  const scale = options.mode === 'real' ? (options.scale ?? 1) : 1
  const origin = Math.floor(options.start ?? (options.mode === 'manual' ? Math.floor(read() / 1000) * 1000 : read()))
  const realOrigin = read()
  let offset = 0

  const clock: Clock = options.mode === 'manual'
    ? {
        mode: 'manual',
        scale,
        now: () => origin + offset,
        advance (ms) { offset += Math.round(ms) },
        set (ms) { offset += Math.round(ms) - clock.now() },
        offsetFromSystem: () => Math.round(clock.now() - read()),
        system: read,
        rewind () { offset = 0 }
      }
    : {
        mode: 'real',
        scale,
        now: () => origin + offset + Math.floor((read() - realOrigin) * scale),
        advance (ms) { offset += Math.round(ms) },
        set (ms) { offset += Math.round(ms) - clock.now() },
        offsetFromSystem: () => Math.round(clock.now() - read()),
        system: read,
        rewind () {}
      }
  return clock
}
