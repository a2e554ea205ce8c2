import type { FastifyInstance } from 'fastify'

/** A route as the app registered it, with what its caller must be allowed to do. */
export interface RouteEntry { method: string, url: string, permission: string | null }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route (HEAD aside), as registered: for the 405 answer, and for the docs' tables to be checked against. */
    routeList: readonly RouteEntry[]
  }
}

// a route's pattern is made once per process, not again for every app (createEmulator in a suite)
const patterns = new Map<string, RegExp>()
function patternOf (url: string): RegExp {
  let pattern = patterns.get(url)
  if (pattern === undefined) {
    pattern = new RegExp(`^${url.split('/').map((part) => part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/')}$`)
    patterns.set(url, pattern)
  }
  return pattern
}

/**
 * Keeps the routes as they are registered, so that a request for a known path with another
 * method gets 405 and an `Allow` header rather than 404.
 */
export function indexRoutes (app: FastifyInstance): (path: string) => string[] {
  const routes: Array<{ pattern: RegExp, methods: Set<string> }> = []
  const list: RouteEntry[] = []
  app.decorate('routeList', list)
  app.addHook('onRoute', (route) => {
    const pattern = patternOf(route.url)
    let entry = routes.find((r) => r.pattern === pattern)
    if (entry === undefined) {
      entry = { pattern, methods: new Set() }
      routes.push(entry)
    }
    const permission = (route.config as { permission?: string } | undefined)?.permission ?? null
    for (const method of [route.method].flat()) {
      entry.methods.add(method)
      if (method !== 'HEAD') list.push({ method, url: route.url, permission })
    }
  })
  return (path) => {
    const methods = new Set<string>()
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) methods.add(m)
    return [...methods].sort()
  }
}
