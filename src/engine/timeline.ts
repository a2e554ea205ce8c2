import { EventQueue } from './event-queue.js'
import { isEnded } from './phases.js'
import type { Task } from './task.js'

/**
 * When each task's next event is due: an active task's phase end or pending cancel, whichever
 * comes first, or an ended task's expiry. One indexed min-heap, at most one event per task, so
 * a change of plan is O(log n) and there is no timer per task. It also counts the active tasks,
 * and how many of them have an event at all (the others are held until stepped).
 */
export class Timeline {
  private readonly queue = new EventQueue<Task>()
  /** Tasks not ended yet. */
  active = 0
  /** Active tasks with an event scheduled. */
  scheduledActive = 0

  /** When the next event is due (ms), or null. */
  nextAt (): number | null {
    return this.queue.peek()?.dueAt ?? null
  }

  /** Takes the task whose event is due first, if it is due by `now`. */
  takeDue (now: number): Task | undefined {
    const next = this.queue.peek()
    if (next === undefined || next.dueAt > now) return undefined
    this.queue.pop()
    if (!isEnded(next.phase)) this.scheduledActive--
    return next
  }

  /** A task joins (made or loaded active). */
  add (task: Task): void {
    this.active++
    this.plan(task)
  }

  /** Plans an active task's next event: its phase end or its pending cancel, whichever is first. */
  plan (task: Task): void {
    const ends = task.phaseEndsAt
    const cancelAt = task.pendingCancel?.at ?? null
    const due = ends === null ? cancelAt : (cancelAt === null ? ends : Math.min(ends, cancelAt))
    const wasScheduled = task.heapIndex >= 0
    if (due === null) this.queue.remove(task)
    else this.queue.schedule(task, due)
    this.scheduledActive += (task.heapIndex >= 0 ? 1 : 0) - (wasScheduled ? 1 : 0)
  }

  /** An active task has just ended: from now on its only event is its expiry. */
  ended (task: Task): void {
    this.active--
    if (task.heapIndex >= 0) this.scheduledActive--
    this.expireAt(task)
  }

  /** Plans an ended task's expiry at its `expiresAt`. */
  expireAt (task: Task): void {
    this.queue.schedule(task, task.expiresAt as number)
  }

  clear (): void {
    this.queue.clear()
    this.active = 0
    this.scheduledActive = 0
  }
}
