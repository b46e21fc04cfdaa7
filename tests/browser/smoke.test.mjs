// smoke.test.mjs -- the pages through one web server, in headless Chromium:
// the customer page and the staff page load with their security headers and
// no CSP violation, a token signs in (pasted, and handed over by the portal
// in #token=), and the data behind /api/ shows. tests/web/run.sh runs it
// through Apache httpd and lighttpd (REFUNDD_URL); pages.test.mjs is the
// full suite, through nginx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BASE, SHOTS, DAY, nowS, iso, token, expiredToken, launch, watchedPage } from './lib.mjs';

const LABEL = process.env.REFUNDD_WEB_SERVER || 'web';
const RUN = randomUUID().replace(/-/g, '').slice(0, 10);

async function api(method, path, { tok, body, key } = {}) {
  const headers = {};
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key) headers['Idempotency-Key'] = key;
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

/* A fresh context on BASE + path that records console errors, uncaught
 * exceptions and CSP violations. */
async function open(path) {
  const { context, page, problems } = await watchedPage(browser);
  const response = await page.goto(BASE + path);
  assert.equal(response.status(), 200, path);
  const headers = response.headers();
  assert.match(headers['content-security-policy'] || '', /script-src 'self'/, path);
  assert.equal(headers['x-content-type-options'], 'nosniff', path);
  return {
    page, problems,
    async clean() {
      assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violations');
      assert.deepEqual(problems, [], 'no console errors');
    },
    close: () => context.close(),
  };
}

const visible = (page, sel) => page.locator(sel).first().waitFor({ state: 'visible', timeout: 10000 });
const text = async (page, sel) => ((await page.textContent(sel)) ?? '').trim();

test(`${LABEL}: customer page, a pasted token, the orders and a quote`, async () => {
  const s = await open('/');
  try {
    await s.page.fill('#token-input', token('demo-alice', 'customer'));
    await s.page.click('#token-form button[type=submit]');
    await visible(s.page, '#orders-body tr[data-order="DEMO-API-1"]');
    assert.match(await text(s.page, '#who-text'), /demo-alice/);
    assert.match(await text(s.page, '#orders-body tr[data-order="DEMO-API-1"]'), /10,000\.00 CNY/);
    await s.page.click('#orders-body button[data-action="quote"][data-order="DEMO-API-1"]');
    await s.page.waitForFunction(() => document.querySelector('#quote-amount')?.textContent.includes('10,000.00 CNY'));
    await s.page.screenshot({ path: `${SHOTS}/smoke-${LABEL}-customer.png`, fullPage: true });
    await s.clean();
  } finally { await s.close(); }
});

test(`${LABEL}: staff page, the portal's hand-off, this run's request in the queue`, async () => {
  // a request of this run, so the queue has a row to show
  const account = `smoke-${LABEL}-${RUN}`;
  const provider = `smoke_${RUN}`;
  const orderId = `SMOKE-${LABEL}-${RUN}`;
  await api('PUT', `/api/v1/orders/${orderId}`, { tok: token('billing-sync', 'system'), body: {
    account, provider, product_type: 'saas_app', product_name: 'smoke test SaaS', billing_mode: 'subscription',
    status: 'paid', amount_paid: 59900, currency: 'CNY', payment_method: 'alipay', paid_at: iso(nowS() - DAY),
    period_start: iso(nowS() - DAY), period_end: iso(nowS() + 364 * DAY) } });
  const cust = token(account, 'customer');
  const q = await api('GET', `/api/v1/orders/${orderId}/quote`, { tok: cust });
  const refund = await api('POST', '/api/v1/refunds', { tok: cust, key: randomUUID(), body: {
    order_id: orderId, reason_code: 'bought_by_mistake', reason_text: 'smoke', payout_method: q.payout_default,
    expected_amount: q.amount } });

  const s = await open(`/staff.html#token=${token(`smoke-support-${RUN}`, 'support')}`);
  try {
    await visible(s.page, '#queue-section');
    assert.ok(!s.page.url().includes('token'), 'the hand-off token left the address');
    await s.page.fill('#f-provider', provider);
    await s.page.press('#f-provider', 'Enter');
    const row = `#queue-body tr[data-refund="${refund.id}"]`;
    await visible(s.page, row);
    assert.match(await text(s.page, row), /599\.00 CNY/);
    await s.page.screenshot({ path: `${SHOTS}/smoke-${LABEL}-staff.png`, fullPage: true });
    await s.clean();
  } finally { await s.close(); }
});

test(`${LABEL}: GET /api/v1/config reaches the pages: an expired hand-off offers the configured portal`, async () => {
  const res = await fetch(`${BASE}/api/v1/config`);
  assert.equal(res.status, 200);
  const cfg = await res.json();
  assert.match(cfg.timezone, /^[A-Za-z]/);
  const expired = expiredToken('demo-alice', 'customer');
  const s = await open(`/#token=${expired}`);
  try {
    await visible(s.page, '#token-form');
    const link = s.page.locator('#alert a.portal-link');
    await s.page.waitForFunction(() => /登录已过期或令牌无效/.test(document.querySelector('#alert')?.textContent || ''));
    if (cfg.portal_url) assert.equal(await link.getAttribute('href'), cfg.portal_url);
    else assert.equal(await link.count(), 0);
    // the 401 of /api/v1/me is the point of this test
    s.problems.splice(0, s.problems.length, ...s.problems.filter((p) => !/status of 401/.test(p)));
    await s.clean();
  } finally { await s.close(); }
});
