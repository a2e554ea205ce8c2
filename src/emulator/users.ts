import { createHash, timingSafeEqual } from 'node:crypto'

/** The roles of Redis Software's REST API. */
export const ROLES = ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager', 'none'] as const
export type Role = (typeof ROLES)[number]

/**
 * Who may do what: the one permissions table. Reading follows the documented `view_crdb_task`,
 * `view_crdb_task_list` and CRDB view permissions; changing a CRDB follows `create_crdb`,
 * `update_crdb`, `delete_crdb` and `flush_crdb`; cancel has no published permission, so it
 * follows the CRDB changes.
 */
export const PERMISSIONS = {
  view_crdb_tasks: ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager'],
  cancel_crdb_task: ['admin', 'cluster_member', 'db_member'],
  view_crdbs: ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager'],
  change_crdbs: ['admin', 'cluster_member', 'db_member'],
  control_emulator: ['admin']
} as const satisfies Record<string, readonly Role[]>
export type Permission = keyof typeof PERMISSIONS

export interface User {
  email: string
  password: string
  role: Role
}

export const DEFAULT_USERS = 'admin@example.com:admin:admin'

export function isRole (value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

export function hasPermission (role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role)
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
