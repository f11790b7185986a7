#!/usr/bin/env node
// Builds the web page: esbuild bundles src/web/main.ts (and the pure geo/post modules it
// imports) into one minified dist/web/app.js with a source map, then copies the static files.
// One local script, no CDN, no external fonts: the page works offline. Run by `npm run build`.
//
//   node scripts/build-web.mjs [--watch]

import { build, context } from 'esbuild'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src', 'web')
const out = join(root, 'dist', 'web')
const STATIC = ['index.html', 'styles.css', 'icon.svg']

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: [join(src, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // the page must never pull Node built-ins: fail the build instead of shipping a broken bundle
  external: [],
  metafile: true
}

async function copyStatic () {
  await Promise.all(STATIC.map(name => copyFile(join(src, name), join(out, name))))
}

await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })

if (process.argv.includes('--watch')) {
  const ctx = await context({
    ...options,
    plugins: [{ name: 'copy-static', setup (b) { b.onEnd(() => copyStatic()) } }]
  })
  await ctx.watch()
  process.stdout.write(`watching src/web → ${out}\n`)
} else {
  const result = await build(options)
  await copyStatic()
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find(f => f.endsWith('app.js'))].bytes
  process.stdout.write(`web page built in dist/web (app.js ${(bytes / 1024).toFixed(1)} KiB)\n`)
}
