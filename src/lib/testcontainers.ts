/**
 * crdb-tasks-emulator for Testcontainers (the `testcontainers` package, an optional peer
 * dependency): the emulator's image, started from a test, configured through the image's
 * environment variables (docs/configuration.md) and ready once its own health check passes.
 *
 * @example
 * import { CrdbTasksEmulatorContainer } from 'crdb-tasks-emulator/testcontainers'
 *
 * const container = await new CrdbTasksEmulatorContainer('crdb-tasks-emulator:latest')
 *   .withClock('manual')
 *   .start()
 * const emulator = container.getEmulator()          // the control API: clock, tasks, faults, ...
 * const task = await emulator.tasks.create()
 * await emulator.clock.advance(14)
 * await container.getClient().getTask(task.id)      // { status: 'finished', ... }
 * await container.stop()
 */
import { AbstractStartedContainer, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers'
import type { LogLevel } from '../cli/config.js'
import type { FaultRuleInput } from '../emulator/faults.js'
import { parseUsers, type User } from '../emulator/users.js'
import type { RsVersionName } from '../emulator/versions.js'
import type { ClockMode } from '../engine/clock.js'
import type { Durations } from '../engine/engine.js'
import { EmulatorClient } from './client.js'
import { makeHandle, type Emulator } from './handle.js'
import { Transport } from './transport.js'

/** The image a container starts when none is named: `docker build -t crdb-tasks-emulator .` makes it. */
export const DEFAULT_IMAGE = 'crdb-tasks-emulator:latest'
/** The port the image serves HTTP on. */
export const EMULATOR_PORT = 8080
/** The port the image serves HTTPS on (`EMULATOR_TLS=true`). */
export const EMULATOR_TLS_PORT = 9443

const DEFAULT_ADMIN: User = { email: 'admin@example.com', password: 'admin', role: 'admin' }

/**
 * The emulator's image as a Testcontainers container. Each `with...` setting is one of the
 * image's environment variables; what is not set keeps the image's default (a real clock, the
 * user `admin@example.com` / `admin`). `start()` waits for the image's health check.
 */
export class CrdbTasksEmulatorContainer extends GenericContainer {
  private admin: User = DEFAULT_ADMIN

  constructor (image: string = DEFAULT_IMAGE) {
    super(image)
    // both ports the image exposes: podman's Docker API lists every exposed port as one to
    // bind, and Testcontainers waits until each listed one is bound
    this.withExposedPorts(EMULATOR_PORT, EMULATOR_TLS_PORT)
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(60_000)
  }

  /** `manual`: time moves only when the test says (`EMULATOR_CLOCK`); `real` is the image's default. */
  withClock (mode: ClockMode): this {
    return this.withEnvironment({ EMULATOR_CLOCK: mode })
  }

  /** Emulated seconds per real second, real clock only (`EMULATOR_TIME_SCALE`). */
  withTimeScale (scale: number): this {
    return this.withEnvironment({ EMULATOR_TIME_SCALE: String(scale) })
  }

  /** Default seconds a task spends queued, running and in commit (`EMULATOR_DURATIONS`). */
  withDurations (durations: { [K in keyof Durations]: number }): this {
    return this.withEnvironment({ EMULATOR_DURATIONS: `${durations.queued},${durations.running},${durations.commit}` })
  }

  /** Seconds an ended task's result is kept (`EMULATOR_RESULT_TTL`). */
  withResultTtl (seconds: number): this {
    return this.withEnvironment({ EMULATOR_RESULT_TTL: String(seconds) })
  }

  /**
   * The users allowed in (`EMULATOR_USERS`). The started container's client and handle log in
   * as the first admin, so one must be there.
   */
  withUsers (users: readonly User[]): this {
    const text = users.map((u) => `${u.email}:${u.password}:${u.role}`).join(',')
    const parsed = users.length === 0 ? 'no user is given' : parseUsers(text)
    const same = (u: User, i: number): boolean => u.email === users[i]?.email && u.password === users[i]?.password && u.role === users[i]?.role
    if (typeof parsed === 'string' || parsed.length !== users.length || !parsed.every(same)) {
      // never echo a password
      const why = typeof parsed === 'string' ? parsed : 'a user does not survive the variable\'s email:password:role,... form'
      throw new Error(`Failed to set the container's users: ${why}. Give each an email without a colon, a password without a comma, and a role.`)
    }
    const admin = users.find((u) => u.role === 'admin')
    if (admin === undefined) throw new Error('Failed to set the container\'s users: none has the admin role, so the control API is out of reach. Add one.')
    this.admin = admin
    return this.withEnvironment({ EMULATOR_USERS: text })
  }

  /** The cluster's name: the auth realm, and `cluster_name` in task errors (`EMULATOR_CLUSTER_NAME`). */
  withClusterName (name: string): this {
    return this.withEnvironment({ EMULATOR_CLUSTER_NAME: name })
  }

  /** The Redis Software version to answer as (`EMULATOR_RS_VERSION`). */
  withRsVersion (version: RsVersionName): this {
    return this.withEnvironment({ EMULATOR_RS_VERSION: version })
  }

  /** Makes task ids, GUIDs and fault draws the same run after run (`EMULATOR_SEED`). */
  withSeed (seed: string): this {
    return this.withEnvironment({ EMULATOR_SEED: seed })
  }

  /** Fault rules to start with, kept by `reset()` (`EMULATOR_FAULTS`). */
  withFaults (rules: readonly FaultRuleInput[]): this {
    return this.withEnvironment({ EMULATOR_FAULTS: JSON.stringify(rules) })
  }

  /** The log level of the container's output (`LOG_LEVEL`; `info` logs a line per request). */
  withLogLevel (level: LogLevel): this {
    return this.withEnvironment({ LOG_LEVEL: level })
  }

  /** Starts the container and waits until the image's health check passes. */
  override async start (): Promise<StartedCrdbTasksEmulatorContainer> {
    return new StartedCrdbTasksEmulatorContainer(await super.start(), this.admin)
  }
}

/** A started emulator container: where it answers, who may log in, and a client and handle. */
export class StartedCrdbTasksEmulatorContainer extends AbstractStartedContainer {
  constructor (started: StartedTestContainer, private readonly admin: User) {
    super(started)
  }

  /** The host port the emulator's HTTP port is published on. */
  getPort (): number {
    return this.getMappedPort(EMULATOR_PORT)
  }

  /** The emulator's base URL from the test's side, e.g. `http://localhost:32768`. */
  getUrl (): string {
    return `http://${this.getHost()}:${this.getPort()}`
  }

  /** The email of the admin the client and handle log in as. */
  getUsername (): string {
    return this.admin.email
  }

  getPassword (): string {
    return this.admin.password
  }

  /** A typed client of the real API (`/v1`), logged in as the admin. */
  getClient (): EmulatorClient {
    return new EmulatorClient({ url: this.getUrl(), username: this.admin.email, password: this.admin.password })
  }

  /**
   * The handle that `connectEmulator` gives (clock, tasks, faults, journal, reset, ...) on the
   * container's default namespace; its `close()` does nothing: `stop()` the container.
   */
  getEmulator (): Emulator {
    const http = new Transport({ url: this.getUrl(), username: this.admin.email, password: this.admin.password })
    return makeHandle(http, http, 'default', async () => {})
  }
}
