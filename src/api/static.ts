// Serves the built web page: files under one root folder, never outside it.

import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { NotFoundError } from '../errors.js'
import type { ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json'
}

export async function serveStatic (res: ServerResponse, root: string | undefined, pathname: string): Promise<void> {
  if (root == null) throw new NotFoundError('this node serves no web page')
  const relative = pathname === '/' ? 'index.html' : pathname.slice(1)
  const file = normalize(join(root, relative))
  if (!file.startsWith(normalize(root) + sep)) throw new NotFoundError('no such page')
  let body: Buffer
  try {
    body = await readFile(file)
  } catch {
    throw new NotFoundError('no such page')
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    // the page may only talk to this node: no third-party scripts, fonts or beacons
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    'cache-control': 'no-cache'
  })
  res.end(body)
}
