// The dashboard in a real browser (chromium), against a real agent with real
// deployments: history with a success and a hook-error, a slow hook's output
// arriving live, a rollback started from the page, a browser without the token.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { browserTest, openBrowser, type TestBrowser } from './support/browser.js';
import { E2E, get, root, until } from './support/e2e.js';

const e2e = new E2E();
let browser: TestBrowser | undefined;
test.after(async () => {
  await browser?.close();
  await e2e.cleanup();
});

/** What the element shows, as the browser renders its text nodes. */
const text = async (l: Locator) => (await l.textContent()) ?? '';

const procfile = (hook: string) => `web: node server.js\npostdeploy: ${hook}\n`;

let app: { dir: string; port: number };
/** Script errors and refused loads (CSP) on any page: there must be none. */
const pageErrors: string[] = [];
let url: string;

browserTest('the history shows a success and a hook-error', async () => {
  app = await e2e.app(procfile('echo migrated'), { app: 'shop' });
  assert.is((await e2e.deploy(app.dir, ['--revision', 'v1'])).code, 0);
  writeFileSync(join(app.dir, 'Procfile'), procfile('echo migrating; echo broken >&2; exit 3'));
  const failed = await e2e.deploy(app.dir, ['--revision', 'v2']);
  assert.is(failed.record.status, 'hook-error');
  ({ url } = await e2e.json<{ url: string }>(['dashboard']));
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);

  browser = await openBrowser();
  browser.context.on('page', (p) => {
    p.on('pageerror', (error) => pageErrors.push(error.message));
    p.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });
  const page = await browser.context.newPage();
  await page.goto(url);
  // The token went into the cookie; the address bar no longer shows it.
  assert.is(new URL(page.url()).search, '');
  assert.ok(await page.getByRole('link', { name: 'shop' }).isVisible());
  await page.getByRole('link', { name: 'shop' }).click();
  const history = page.getByRole('table', { name: /deployments, newest first/ });
  const v1 = history.getByRole('row').filter({ has: page.getByRole('link', { name: 'v1', exact: true }) });
  const v2 = history.getByRole('row').filter({ has: page.getByRole('link', { name: 'v2', exact: true }) });
  assert.match(await text(v1), /success/);
  assert.match(await text(v2), /hook-error/);
  assert.match(await text(v2), /HOOK_FAILED/);
  // The chart has a bar part per phase reached: v2 has no switch.
  assert.ok((await page.locator('svg rect.ph-postdeploy').count()) >= 2);
  assert.is(await page.locator('svg rect.ph-switch').count(), 1);
});

browserTest("a running deployment's hook output appears live", async () => {
  const gate = join(e2e.home, 'gate');
  writeFileSync(
    join(app.dir, 'Procfile'),
    procfile(`echo started-slow; while [ ! -f ${gate} ]; do sleep 0.05; done; echo after-gate`),
  );
  const deploying = e2e.deploy(app.dir, ['--revision', 'v3']);
  const running = await until(
    async () => (await e2e.json<any[]>(['deployments', '--app', 'shop'])).find((d) => d.finishedAt === null),
    30_000,
    'the deployment to start',
  );
  const page = await browser!.context.newPage();
  await page.goto(new URL(`/deployments/${running.id}`, url).href);
  // The hook's own output lines (the `$ command` line above them names the same words).
  const output = (text: string) =>
    page.getByRole('log', { name: 'Deployment output' }).locator('.line.stdout', { hasText: text });
  await output('started-slow').waitFor({ timeout: 30_000 });
  assert.is(await output('after-gate').count(), 0);
  assert.is(await page.locator('#status').textContent(), 'starting');
  writeFileSync(gate, '');
  // No reload: the line and the final status come over the page's event stream.
  await output('after-gate').waitFor({ timeout: 30_000 });
  await page.locator('#status').getByText('success').waitFor({ timeout: 30_000 });
  assert.is((await deploying).code, 0);
  assert.is((await get(app.port)).body, 'v3');
  await page.close();
});

browserTest('a rollback started from the page (after its confirmation) changes the served version', async () => {
  const page = await browser!.context.newPage();
  await page.goto(new URL('/apps/shop', url).href);
  await page.getByRole('button', { name: 'Roll back to v1' }).click();
  const dialog = page.getByRole('dialog');
  assert.match(await text(dialog), /Roll back shop to v1/);
  // Cancelling sends nothing.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.not.ok(await page.locator('#action').isVisible());
  // With the keyboard: Escape sends nothing either; Enter on Confirm does.
  await page.getByRole('button', { name: 'Roll back to v1' }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  assert.not.ok(await dialog.isVisible());
  assert.not.ok(await page.locator('#action').isVisible());
  await page.keyboard.press('Enter');
  await dialog.getByRole('button', { name: 'Confirm' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('#action-status').getByText(/done/).waitFor({ timeout: 60_000 });
  assert.match(await text(page.getByRole('log', { name: 'Action output' })), /release 4 is live/);
  assert.is((await get(app.port)).body, 'v1');
  await page.reload();
  const releases = page.getByRole('table', { name: /releases/i });
  assert.match(await text(releases.getByRole('row').nth(1)), /v4\s*live[\s\S]*rollback to v1/);
  // docs/dashboard.png is this screenshot: SLIPWAY_DOCS_SCREENSHOT=1 writes it there, else it goes to a temporary file.
  const shot = process.env.SLIPWAY_DOCS_SCREENSHOT
    ? join(root, 'docs', 'dashboard.png')
    : join(e2e.home, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000, 'a screenshot with content');
  await page.close();
});

browserTest('the traffic page shows the requests the router counted, by the release that served them', async () => {
  const page = await browser!.context.newPage();
  await page.goto(new URL('/traffic', url).href);
  for (let i = 0; i < 3; i++) assert.is((await get(app.port)).body, 'v1');
  const section = page.getByRole('region', { name: 'shop' });
  const served = section.getByRole('table', { name: 'Served by release' });
  await served.getByRole('row', { name: /v4 \d+/ }).waitFor({ timeout: 30_000 });
  assert.match(await text(section.getByRole('table', { name: /Responses since/ })), /200\s*\d+/);
  assert.is(await text(section.locator('.live-release')), 'v4');
  assert.ok((await section.locator('svg rect').count()) > 0);
  await page.close();
});

/** Run in the page (a string: the tests are type-checked without the DOM library). */
const STRUCTURE_PROBLEMS = `(() => {
  const found = [];
  if (!document.documentElement.lang) found.push('no lang');
  if (!document.querySelector('a.skip[href="#main"]')) found.push('no skip link');
  for (const t of document.querySelectorAll('table')) if (!t.querySelector('caption')) found.push('table without caption');
  for (const c of document.querySelectorAll('button, a')) {
    if (!c.textContent.trim() && !c.getAttribute('aria-label')) found.push('unnamed ' + c.outerHTML);
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.getAttribute('role') !== 'img' || !svg.getAttribute('aria-label')) found.push('unlabelled chart');
  }
  return found;
})()`;

browserTest(
  'each page has a language, a skip link, captioned tables, named controls and a labelled chart',
  async () => {
    const page = await browser!.context.newPage();
    for (const path of ['/', '/apps/shop', '/traffic']) {
      await page.goto(new URL(path, url).href);
      const problems = await page.evaluate<string[]>(STRUCTURE_PROBLEMS);
      assert.equal(problems, [], path);
    }
    await page.close();
  },
);

browserTest('no page had a script error or a refused load', () => {
  assert.equal(pageErrors, []);
});

browserTest('a browser without the token gets 401 and no app data', async () => {
  const other = await openBrowser();
  try {
    const page = await other.context.newPage();
    const base = new URL(url);
    const response = await page.goto(`${base.origin}/apps/shop`);
    assert.is(response?.status(), 401);
    const body = await text(page.locator('body'));
    assert.not.match(body, /shop|v1|v3/);
    const wrong = await page.goto(`${base.origin}/?token=${'x'.repeat(32)}`);
    assert.is(wrong?.status(), 403);
  } finally {
    await other.close();
  }
});

test.run();
