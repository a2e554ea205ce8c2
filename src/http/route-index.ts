import type { FastifyInstance } from 'fastify'

/** A route as the app registered it, with what its caller must be allowed to do. */
export interface RouteEntry { method: string, url: string, permission: string | null }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route (HEAD aside), as registered: for the 405 answer, and for the docs' tables to be checked against. */
    routeList: readonly RouteEntry[]
  }
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
    const source = `^${route.url.split('/').map((part) => part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/')}$`
    let entry = routes.find((r) => r.pattern.source === source)
    if (entry === undefined) {
      entry = { pattern: new RegExp(source), methods: new Set() }
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
