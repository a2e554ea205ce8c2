import { createHash, timingSafeEqual } from 'node:crypto'

/** The roles of Redis Software's REST API. */
export const ROLES = ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager', 'none'] as const
export type Role = (typeof ROLES)[number]

const READERS = ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager'] as const
const CHANGERS = ['admin', 'cluster_member', 'db_member'] as const

/**
 * Who may do what (latest and 8.0): the one permissions table, by the docs' permission names
 * (rest-api/permissions). Cancelling a CRDB task has no published permission, so it follows the
 * CRDB changes; the control API is the emulator's own, admin only. `permissionsFor` gives an
 * older version's table.
 */
export const PERMISSIONS = {
  view_crdb_list: READERS,
  view_crdb: READERS,
  create_crdb: CHANGERS,
  update_crdb: CHANGERS,
  delete_crdb: CHANGERS,
  flush_crdb: CHANGERS,
  purge_instance: CHANGERS,
  upgrade_crdb: CHANGERS,
  view_crdb_task_list: READERS,
  view_crdb_task: READERS,
  cancel_crdb_task: CHANGERS,
  view_cluster_info: READERS,
  control_emulator: ['admin']
} as const satisfies Record<string, readonly Role[]>
export type Permission = keyof typeof PERMISSIONS
export type PermissionTable = Readonly<Record<Permission, readonly Role[]>>

/** The permissions that 7.4 does not grant `user_manager`: it may not read CRDBs or their tasks. */
const READ_CRDBS: readonly Permission[] = ['view_crdb_list', 'view_crdb', 'view_crdb_task_list', 'view_crdb_task']

/** The table of a version: 7.4's `user_manager` reads no CRDB and no task; `upgrade_crdb` exists from 8.0. */
export function permissionsFor (version: { userManagerReads: boolean, upgrade: boolean }): PermissionTable {
  const table: Record<Permission, readonly Role[]> = { ...PERMISSIONS }
  if (!version.userManagerReads) for (const p of READ_CRDBS) table[p] = table[p].filter((r) => r !== 'user_manager')
  if (!version.upgrade) table.upgrade_crdb = []
  return table
}

export interface User {
  email: string
  password: string
  role: Role
}

export const DEFAULT_USERS = 'admin@example.com:admin:admin'

export function isRole (value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

export function hasPermission (role: Role, permission: Permission, table: PermissionTable = PERMISSIONS): boolean {
  return table[permission].includes(role)
}

/**
 * Parses `email:password:role[,email:password:role...]`. The password is everything between
 * the first and the last colon, so it may itself contain colons (not commas).
 * Returns the users, or a message saying what is wrong.
 */
export function parseUsers (text: string): User[] | string {
  const users: User[] = []
  for (const [i, entry] of text.split(',').entries()) {
    const first = entry.indexOf(':')
    const last = entry.lastIndexOf(':')
    // never echo the entry: it may hold a password
    if (first <= 0 || last === first) return `entry ${i + 1} is not email:password:role`
    const email = entry.slice(0, first).trim()
    const password = entry.slice(first + 1, last)
    const role = entry.slice(last + 1).trim()
    if (!isRole(role)) return `role "${role}" of ${email} is not one of ${ROLES.join(', ')}`
    if (users.some((u) => u.email === email)) return `${email} is listed twice`
    users.push({ email, password, role })
  }
  return users
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/**
 * Checks credentials in constant time: the password is compared as a SHA-256 digest with
 * `timingSafeEqual`, and an unknown email costs the same as a wrong password.
 */
export function createUserDirectory (users: readonly User[]): (email: string, password: string) => User | undefined {
  const byEmail = new Map(users.map((u) => [u.email, { user: u, digest: digest(u.password) }]))
  const decoy = digest('\u0000no such user\u0000')
  return (email, password) => {
    const entry = byEmail.get(email)
    const ok = timingSafeEqual(digest(password), entry?.digest ?? decoy)
    return ok && entry !== undefined ? entry.user : undefined
  }
}
