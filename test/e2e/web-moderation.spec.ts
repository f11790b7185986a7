// The Settings view in real headless Chromium against a real node (`murmur start` on
// 127.0.0.1): muting a word through the page hides stored posts, following a moderator with
// `warn` blurs what it labels until the reader asks, muting a pseudonym from its reply, and
// reporting another node's post to a moderator from its card.
// Set MURMUR_SCREENSHOTS=1 to also save the Settings screen to docs/screenshots/.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startCliNode, removeDir, waitFor, type CliNode } from '../helpers/cli-node.js'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots')
const UI_TIMEOUT = 30_000

describe('e2e: moderation in the web page', function () {
  this.timeout(180_000)
  let node: CliNode
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`      skipping the web moderation spec: ${CHROMIUM} is absent`)
      this.skip()
    }
    node = await startCliNode({ join: ['tag:modweb'] })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    })
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage()
    page.on('pageerror', err => { pageErrors.push(err.message) })
  })

  after(async () => {
    await browser?.close()
    if (node != null) {
      await node.stop()
      await removeDir(node.dataDir)
    }
  })

  afterEach(() => {
    assert.deepEqual(pageErrors, [], 'the page threw')
  })

  it('mutes a word from Settings, and the stored post leaves the feed', async () => {
    const muted = await node.send('POST', '/api/posts', { text: 'rhubarb pie again #modweb' })
    const kept = await node.send('POST', '/api/posts', { text: 'apple pie instead #modweb' })
    assert.equal(muted.status, 201)
    await page.goto(`${node.url}/#/tag/modweb/new`)
    await page.waitForSelector(`#feed article[data-id="${muted.body.id}"]`, { timeout: UI_TIMEOUT })

    await page.click('nav a[href="#/settings"]')
    await page.fill('#mute-word', 'Rhubarb')
    await page.click('#mute-word + button')
    await page.waitForSelector('.chip.muted:has-text("rhubarb")', { timeout: UI_TIMEOUT })
    assert.deepEqual((await node.get('/api/moderation')).mutes.words, ['rhubarb'])

    await page.goto(`${node.url}/#/tag/modweb/new`)
    await page.waitForSelector(`#feed article[data-id="${kept.body.id}"]`, { timeout: UI_TIMEOUT })
    assert.equal(await page.locator(`#feed article[data-id="${muted.body.id}"]`).count(), 0)
  })

  it('follows a moderator with warn from Settings, and its label blurs the post until shown', async () => {
    const { moderatorId } = await node.get('/api/moderation')
    await page.goto(`${node.url}/#/settings`)
    await page.fill('#mod-id', moderatorId)
    await page.selectOption('#mod-action-nsfw', 'warn')
    await page.selectOption('#mod-action-spam', 'hide')
    await page.click('.follow-form button[type="submit"]')
    await page.waitForSelector(`.moderator code[title="${moderatorId}"]`, { timeout: UI_TIMEOUT })
    if (process.env.MURMUR_SCREENSHOTS === '1') await page.screenshot({ path: join(SCREENSHOTS, 'settings.png') })

    const post = await node.send('POST', '/api/posts', { text: 'a picture you may not want at work #modweb' })
    const label = await node.send('POST', '/api/moderation/labels', { target: post.body.id, label: 'nsfw' })
    assert.equal(label.status, 201)
    await page.goto(`${node.url}/#/tag/modweb/new`)
    const card = page.locator(`#feed article[data-id="${post.body.id}"]`)
    await card.waitFor({ timeout: UI_TIMEOUT })
    assert.match(await card.getAttribute('class') ?? '', /\bwarned\b/)
    await card.locator('.reveal').click()
    assert.doesNotMatch(await card.getAttribute('class') ?? '', /\bwarned\b/)
  })

  it('mutes a pseudonym from its reply in a thread', async () => {
    // a pseudonym that is not this node's: a second node replies in the thread
    const other = await startCliNode({ bootstrap: [node.addresses[0]], join: ['tag:modweb'] })
    try {
      const root = await node.send('POST', '/api/posts', { text: 'who wants tea? #modweb' })
      await waitFor('the post on the second node', async () => (await other.send('GET', `/api/posts/${root.body.id as string}`)).status === 200)
      const reply = await other.send('POST', `/api/posts/${root.body.id as string}/replies`, { text: 'me, always' })
      assert.equal(reply.status, 201)
      await waitFor('the reply on the first node', async () => (await node.send('GET', `/api/posts/${reply.body.id as string}`)).status === 200)
      await page.goto(`${node.url}/#/post/${root.body.id}`)
      const row = page.locator(`#replies li[data-id="${reply.body.id as string}"]`)
      await row.waitFor({ timeout: UI_TIMEOUT })
      await row.locator('.mute').click()
      await row.waitFor({ state: 'detached', timeout: UI_TIMEOUT })
      assert.equal((await node.get('/api/moderation')).mutes.pseudonyms.length, 1)
    } finally {
      await other.stop()
      await removeDir(other.dataDir)
    }
  })

  it('reports someone else\'s post from its card, and the moderator gets it from a key that is not the reporter\'s', async () => {
    const moderator = await startCliNode({ bootstrap: [node.addresses[0]], join: ['tag:modweb'] })
    try {
      const { moderatorId } = await moderator.get('/api/moderation')
      // a moderator's node listens for reports once it has asked for them; its subscription
      // reaches the page's node long before the post below does
      assert.deepEqual(await moderator.get('/api/moderation/reports'), { reports: [] })
      const spam = await moderator.send('POST', '/api/posts', { text: 'cheap watches, dm me #modweb' })
      assert.equal(spam.status, 201)
      await waitFor('the post on the page\'s node', async () => (await node.send('GET', `/api/posts/${spam.body.id as string}`)).status === 200)

      await page.goto(`${node.url}/#/tag/modweb/new`)
      const card = page.locator(`#feed article[data-id="${spam.body.id as string}"]`)
      await card.waitFor({ timeout: UI_TIMEOUT })
      await card.locator('button.report').click()
      await page.waitForSelector('dialog.report-dialog[open]', { timeout: UI_TIMEOUT })
      await page.selectOption('#report-reason', 'spam')
      await page.selectOption('#report-moderator', 'other-moderator')
      await page.fill('#report-moderator-id', moderatorId)
      await page.fill('#report-note', 'the same ad in every channel')
      await page.click('dialog.report-dialog button[type="submit"]')
      await page.waitForSelector('.toast.success:has-text("Reported")', { timeout: UI_TIMEOUT })

      await waitFor('the report at the moderator', async () => (await moderator.get('/api/moderation/reports')).reports.length > 0)
      const { reports } = await moderator.get('/api/moderation/reports')
      assert.equal(reports.length, 1)
      assert.equal(reports[0].target, spam.body.id)
      assert.equal(reports[0].reason, 'spam')
      assert.equal(reports[0].note, 'the same ad in every channel')
      const own = await node.get('/api/moderation')
      assert.notEqual(reports[0].reporter, own.moderatorId)
      // the page's own posts offer no report button: delete is theirs instead
      const mine = await node.send('POST', '/api/posts', { text: 'my own murmur #modweb' })
      await page.goto(`${node.url}/#/tag/modweb/new`)
      const myCard = page.locator(`#feed article[data-id="${mine.body.id as string}"]`)
      await myCard.waitFor({ timeout: UI_TIMEOUT })
      assert.equal(await myCard.locator('button.report').count(), 0)
    } finally {
      await moderator.stop()
      await removeDir(moderator.dataDir)
    }
  })
})
