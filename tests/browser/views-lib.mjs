// views-lib.mjs -- what policies.test.mjs and reports.test.mjs share: the
// stack's address, tokens minted with the run's secret, a plain API caller
// for setting up data, a browser with a fresh context per test that records
// console and page errors and CSP violations, and the axe audit.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BASE, launch, watchedPage } from './lib.mjs';

export { BASE, SHOTS, DAY, nowS, iso, token, api, ok, signIn, waitText, text } from './lib.mjs';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

// forAudit: the page's CSP is bypassed so that axe-core can be injected
// (as a11y.test.mjs does); such a context checks nothing about the CSP.
// timezoneId: the browser's own zone; config: members of GET /api/v1/config
// changed on the way to the page (say another reseller time zone).
export async function open(path, { lang, width = 1200, height = 900, forAudit = false, timezoneId, config } = {}) {
  const { context, page, problems, csp } = await watchedPage(browser, { lang, viewport: { width, height },
    acceptDownloads: true, bypassCSP: forAudit, timezoneId });
  if (config) {
    await page.route('**/api/v1/config', async (route) => {
      const real = await route.fetch();
      route.fulfill({ response: real, json: { ...(await real.json()), ...config } });
    });
  }
  assert.equal((await page.goto(BASE + path)).status(), 200);
  return {
    page,
    csp,
    unexpected: () => problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p)),
    close: () => context.close(),
  };
}



// axe-core's findings in one part of the page (WCAG 2.2 AA and best practice).
export async function audit(page, selector) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(([sel, tags]) => window.axe.run(document.querySelector(sel),
    { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
  [selector, ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']]);
  return result.violations.flatMap((v) => v.nodes.map((n) =>
    `${v.id} (${v.impact}) at ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
}

// Nothing of the view wider than the screen: no part of it makes the page
// scroll sideways (other views on the same page are theirs to check).
export async function noSidewaysScroll(page, selector) {
  const wide = await page.evaluate((sel) => {
    const limit = document.documentElement.clientWidth + 1;
    const root = document.querySelector(sel);
    /* inside a .table-wrap a wide table scrolls in its own box */
    return [root, ...root.querySelectorAll('*')]
      .filter((e) => e.getBoundingClientRect().right > limit && !e.parentElement.closest('.table-wrap'))
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} ends at ${Math.round(e.getBoundingClientRect().right)} px`);
  }, selector);
  assert.deepEqual(wide, [], `wider than the ${await page.evaluate(() => document.documentElement.clientWidth)} px screen`);
}
