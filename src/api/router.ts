// A minimal method + path-pattern router: the API has a dozen fixed routes, so a table of
// patterns reads better than a framework and keeps the dependency list short.

import { NotFoundError, BadRequestError } from '../errors.js'
import type { IncomingMessage } from 'node:http'

export type Handler = (req: IncomingMessage, params: Record<string, string>, url: URL) => Promise<[number, unknown]>
export type Route = [method: string, pattern: string, handler: Handler]

export function createRouter (routes: Route[]): (req: IncomingMessage, url: URL) => Promise<[number, unknown]> {
  const compiled = routes.map(([method, pattern, handler]) => {
    const names: string[] = []
    const regex = new RegExp('^' + pattern.replace(/:(\w+)/g, (_m, name: string) => { names.push(name); return '([^/]+)' }) + '$')
    return { method, regex, names, handler }
  })
  return async (req, url) => {
    const matching = compiled.filter(r => r.regex.test(url.pathname))
    if (matching.length === 0) throw new NotFoundError(`no API route ${url.pathname}`)
    const route = matching.find(r => r.method === req.method)
    if (route == null) throw new BadRequestError(`${String(req.method)} is not allowed on ${url.pathname}`, 'METHOD_NOT_ALLOWED')
    const values = route.regex.exec(url.pathname)?.slice(1) ?? []
    const params: Record<string, string> = {}
    route.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(values[i])
      } catch {
        throw new BadRequestError('bad percent-encoding in the path', 'BAD_PATH')
      }
    })
    return route.handler(req, params, url)
  }
}
