/** A cap on live tasks shared by the engines of one emulator (`--max-tasks` in total). */
export class TaskBudget {
  used = 0
  constructor (readonly limit: number) {}

  get left (): number {
    return this.limit - this.used
  }
}
