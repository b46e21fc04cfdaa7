// a11y.test.mjs -- an accessibility audit with axe-core of every view of
// both pages (signed out, signed in, a quote, a request's detail, an expired
// hand-off; the staff queue, a request's detail, the finance view), in both
// languages, at desktop and phone width: no violations of WCAG 2.2 A/AA or
// axe's best practices. The views are filled by the demo queue
// (scripts/demo-queue.mjs) that scripts/test loads. axe-core is injected as
// a script, so these contexts bypass the pages' CSP (the other browser tests
// keep it on and check it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BASE, token, expiredToken, launch, signIn } from './lib.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];


const SIZES = { desktop: { width: 1200, height: 900 }, phone: { width: 390, height: 844 } };

let browser;
before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

async function open(path, lang, size) {
  const context = await browser.newContext({ viewport: SIZES[size], locale: 'zh-CN', bypassCSP: true });
  await context.addInitScript((l) => localStorage.setItem('refundd.lang', l), lang);
  const page = await context.newPage();
  await page.goto(BASE + path);
  await page.waitForFunction(() => document.readyState === 'complete');
  return { page, close: () => context.close() };
}

// axe's findings, one line each: rule, impact, where, what it says.
async function audit(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate((tags) => window.axe.run(document,
    { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), TAGS);
  return result.violations.flatMap((v) => v.nodes.map((n) =>
    `${v.id} (${v.impact}) at ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
}


// Each view: how to reach it from a fresh page.
const VIEWS = {
  'customer, signed out': ['/', async () => {}],
  'customer, orders and requests': ['/', async (page) => {
    await signIn(page, token('demo-carol', 'customer'));
    await page.locator('#refunds-body button[data-action="open"]').first().waitFor();
  }],
  'customer, a quote and the refund form': ['/', async (page) => {
    await signIn(page, token('demo-alice', 'customer'));
    await page.click('#orders-body button[data-action="quote"][data-order="DEMO-API-1"]');
    await page.locator('#submit-refund').waitFor({ state: 'visible' });
  }],
  'customer, a request\'s detail': ['/', async (page) => {
    await signIn(page, token('demo-dave', 'customer'));
    await page.locator('#refunds-body button[data-action="open"]').first().click();
    await page.locator('#detail-section').waitFor({ state: 'visible' });
    await page.locator('#detail [data-action="confirm"]').waitFor();
  }],
  'customer, an expired hand-off': [`/#token=${expiredToken('demo-alice', 'customer')}`, async (page) => {
    await page.locator('#portal-signin').waitFor({ state: 'visible' });
  }],
  'staff, signed out': ['/staff.html', async () => {}],
  'staff, the queue': ['/staff.html', async (page) => {
    await signIn(page, token('lead-wang', 'supervisor'));
    await page.locator('#queue-body button[data-action="open"]').first().waitFor();
  }],
  'staff, a request\'s detail with its actions': ['/staff.html', async (page) => {
    await signIn(page, token('lead-zhao', 'supervisor'));
    const row = page.locator('#queue-body tr[data-status="awaiting_second_approval"] button[data-action="open"]').first();
    await row.click();
    await page.locator('#detail-section').waitFor({ state: 'visible' });
    await page.locator('#detail form').first().waitFor();
  }],
  'staff, finance': ['/staff.html', async (page) => {
    await signIn(page, token('fin-chen', 'finance'));
    await page.locator('#payouts-body tr').first().waitFor();
  }],
};

for (const [name, [path, reach]] of Object.entries(VIEWS)) {
  for (const lang of ['zh', 'en']) {
    for (const size of Object.keys(SIZES)) {
      test(`axe: ${name} (${lang}, ${size}): no violations`, async () => {
        const { page, close } = await open(path, lang, size);
        try {
          await reach(page);
          assert.deepEqual(await audit(page), []);
          // readable at a phone's width: nothing makes the page scroll sideways
          const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
          assert.ok(scroll <= width, `the page is ${scroll} px wide in a ${width} px window`);
        } finally {
          await close();
        }
      });
    }
  }
}

test('axe: the audit does find a violation when there is one', async () => {
  const { page, close } = await open('/', 'en', 'desktop');
  try {
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'favicon.svg';
      document.querySelector('main').append(img);
    });
    const found = await audit(page);
    assert.ok(found.some((f) => f.startsWith('image-alt')), found.join('\n'));
  } finally {
    await close();
  }
});
