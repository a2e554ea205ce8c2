/**
 * What every server of the app is made with: Node checks request and header timeouts every
 * second (30 s by default); a request without a `Host` header is served (as the main cluster),
 * not refused with Node's bare-text 400.
 */
export const SERVER_OPTIONS = { connectionsCheckingInterval: 1000, requireHostHeader: false } as const
/** Under TLS, a connection that has not finished its handshake in 10 s is closed (Node: 120 s). */
export const TLS_OPTIONS = { handshakeTimeout: 10_000 } as const
/** Open connections at most per server, plain or TLS, unless `--max-connections` says otherwise: past it, new ones are closed. */
export const MAX_CONNECTIONS = 10_000
