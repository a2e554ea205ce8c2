/**
 * The Redis Software versions the emulator can answer as (`--rs-version`), and what differs
 * between them in the docs' versioned copies (7.4, 7.8, 7.22, 8.0 and latest; the emulator's 8.0
 * is the docs' latest, which describes 8.0 releases).
 */
// the keys are version names, quoted alike ('8.0' unquoted would be the key '8')
/* eslint-disable @stylistic/quote-props */
export const RS_VERSIONS = {
  '7.4': { software: '7.4.6', upgrade: false, userManagerReads: false, certificateAuth: false, before8: true },
  '7.8': { software: '7.8.6', upgrade: false, userManagerReads: true, certificateAuth: false, before8: true },
  '7.22': { software: '7.22.2', upgrade: false, userManagerReads: true, certificateAuth: false, before8: true },
  '8.0': { software: '8.0.18', upgrade: true, userManagerReads: true, certificateAuth: true, before8: false }
} as const satisfies Record<string, RsVersion>
/* eslint-enable @stylistic/quote-props */

export interface RsVersion {
  /** What `GET /v1/nodes` shows as `software_version`. */
  software: string
  /** `POST /v1/crdbs/{guid}/upgrade` and the `upgrade_crdb` permission exist (8.0 and later). */
  upgrade: boolean
  /** `user_manager` may read CRDBs and their tasks (not in 7.4). */
  userManagerReads: boolean
  /** An instance's cluster may give `certificate_auth` instead of `credentials`. */
  certificateAuth: boolean
  /** database_config has `bigstore*`, and neither `eviction_policy` nor `replication_oom_threshold_percent`. */
  before8: boolean
}

export type RsVersionName = keyof typeof RS_VERSIONS
export const RS_VERSION_NAMES = Object.keys(RS_VERSIONS) as RsVersionName[]
export const LATEST_RS_VERSION: RsVersionName = '8.0'
