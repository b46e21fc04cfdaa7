// pages.test.mjs -- the customer refund form (www/index.html) and the staff
// review queue (www/staff.html) in headless Chromium, through the real
// nginx -> refundd -> PostgreSQL stack that scripts/test started.
//
// Every test that changes something makes its own orders (PUT with a
// `system` token) under accounts and ids unique to this run, so re-runs and
// the order of tests do not matter. The demo orders (sql/demo) are only read.
// Screenshots go to $REFUNDD_SHOTS (default $REFUNDD_RUNDIR/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BASE, SHOTS, DAY, nowS, iso, token, expiredToken, api, ok, launch, watchedPage, waitText, text, signIn,
  openRefund } from './lib.mjs';

const RUN = randomUUID().replace(/-/g, '').slice(0, 10);
const PROVIDER = `bt_${RUN}`;   // lets the queue filter find this run's requests
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const SYSTEM = token('billing-sync', 'system');
const SUPPORT_SUB = `bt-support-${RUN}`;
const SUPPORT = token(SUPPORT_SUB, 'support');
const FINANCE = token(`bt-finance-${RUN}`, 'finance');


/* An order of this run (PUT by the billing sync); returns its id. */
async function createOrder(account, overrides = {}) {
  const id = `BT-${RUN}-${++seq}`;
  const body = {
    account, provider: PROVIDER, product_type: 'saas_app', product_name: `浏览器测试 SaaS ${seq}`,
    billing_mode: 'subscription', status: 'paid', amount_paid: 59900, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - DAY),
    period_start: iso(nowS() - DAY), period_end: iso(nowS() + 364 * DAY),
    ...overrides,
  };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  await ok(api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body }), 201);
  return id;
}

/* A refund request submitted through the API, at the quoted amount. */
async function submitRefund(customerTok, orderId, extra = {}) {
  const q = await ok(api('GET', `/api/v1/orders/${orderId}/quote`, { tok: customerTok }), 200);
  return ok(api('POST', '/api/v1/refunds', {
    tok: customerTok, key: randomUUID(),
    body: { order_id: orderId, reason_code: 'bought_by_mistake', reason_text: '浏览器测试', payout_method: q.payout_default, expected_amount: q.amount, ...extra },
  }), 201);
}
let seq = 0;
const refundAct = (id, action, tok, body) => ok(api('POST', `/api/v1/refunds/${id}/${action}`, { tok, body: body ?? {} }), 200);

/* ---------- browser ---------- */

let browser;
before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

/* A fresh context (empty sessionStorage and localStorage) with a page that
 * records console errors, uncaught exceptions and CSP violations. Options:
 * the language, the browser's own time zone, and bypassCSP (only for the
 * accessibility audit, which injects axe-core as a script). */
async function open(path = '/', { lang, timezoneId, bypassCSP } = {}) {
  const { context, page, problems, csp } = await watchedPage(browser, { lang, timezoneId, bypassCSP });
  const response = await page.goto(BASE + path);
  assert.equal(response.status(), 200);
  await page.waitForFunction(() => document.readyState === 'complete');
  return {
    page, context, problems, response, csp,
    /* console errors other than the browser's own note on an HTTP error
     * status the test caused on purpose */
    unexpected(allowHttp = false) {
      return problems.filter((p) => !(allowHttp && /Failed to load resource: the server responded with a status of (4\d\d)/.test(p)));
    },
    async close() { await context.close(); },
  };
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function visible(page, selector) {
  return page.locator(selector).first().isVisible();
}
async function waitVisible(page, selector, timeout = 10000) {
  await page.locator(selector).first().waitFor({ state: 'visible', timeout });
}
async function waitHidden(page, selector, timeout = 10000) {
  await page.locator(selector).first().waitFor({ state: 'hidden', timeout });
}


async function openQuote(page, orderId) {
  await page.click(`#orders-body button[data-action="quote"][data-order="${orderId}"]`);
  await page.waitForFunction((id) => {
    const q = document.querySelector('#quote .quote-for');
    return q && q.textContent.includes(id) && document.querySelector('#quote-amount');
  }, orderId);
}


/* ---------- customer page ---------- */

test('customer page loads in Chinese with no console errors and no CSP violations', async () => {
  const s = await open('/');
  try {
    const csp = s.response.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/);
    assert.equal(await s.page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await text(s.page, '#signin-h'), '申请退款');
    assert.equal(await text(s.page, 'label[for="token-input"]'), '访问令牌（JWT）');
    assert.equal(await text(s.page, '#lang-toggle'), 'English');
    assert.ok(await s.page.evaluate(() => document.activeElement?.id === 'token-input'), 'the token field has the focus');
    // no inline script or style anywhere in the markup
    assert.equal(await s.page.locator('script:not([src]), style, [style]').count(), 0);
    assert.deepEqual(await s.csp(), []);
    await shot(s.page, 'customer-signin');
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('language toggle switches the texts, and the choice is remembered', async () => {
  const s = await open('/');
  try {
    await s.page.click('#lang-toggle');
    assert.equal(await s.page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(s.page, '#signin-h'), 'Ask for a refund');
    assert.equal(await text(s.page, 'label[for="token-input"]'), 'Access token (JWT)');
    assert.equal(await text(s.page, '#token-form button[type=submit]'), 'Sign in');
    assert.equal(await text(s.page, '#lang-toggle'), '中文');
    await s.page.reload();
    assert.equal(await text(s.page, '#signin-h'), 'Ask for a refund');
    await s.page.click('#lang-toggle');
    assert.equal(await text(s.page, '#signin-h'), '申请退款');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test("demo-alice sees her orders and the quote of DEMO-API-1: 10,000.00 CNY, full, no reasons", async () => {
  const s = await open('/');
  try {
    await signIn(s.page, token('demo-alice', 'customer'));
    await waitVisible(s.page, '#orders-body tr');
    assert.match(await text(s.page, '#who-text'), /demo-alice/);
    const ids = await s.page.$$eval('#orders-body tr', (rows) => rows.map((r) => r.dataset.order));
    for (const id of ['DEMO-API-1', 'DEMO-API-2', 'DEMO-ECS-NEW', 'DEMO-TRAFFIC', 'DEMO-ECS-UNPAID'])
      assert.ok(ids.includes(id), `${id} listed in ${ids}`);
    assert.ok(!ids.includes('DEMO-IMG-INUSE'), "bob's order is not listed for alice");
    assert.match(await text(s.page, '#orders-body tr[data-order="DEMO-API-1"]'), /10,000\.00 CNY/);
    // only the unpaid order offers a cancel button
    assert.equal(await s.page.locator('#orders-body button[data-action="cancel"]').count(),
      await s.page.locator('#orders-body .ostatus-unpaid').count());

    await openQuote(s.page, 'DEMO-API-1');
    assert.equal(await text(s.page, '#quote-amount'), '10,000.00 CNY');
    assert.equal(await text(s.page, '#quote .quote-head .badge'), '全额退款');
    assert.equal(await s.page.locator('#quote ul.reasons li').count(), 0, 'a no-reason full refund has no reasons');
    assert.equal(await s.page.locator('#quote .remedy').count(), 0);
    assert.match(await text(s.page, '#quote table.breakdown tfoot'), /10,000\.00 CNY/);
    assert.ok(await visible(s.page, '#refund-form'));
    assert.equal(await s.page.locator('#payout-options input[type=radio]').count(), 1);
    assert.ok(await s.page.isChecked('#payout-original_route'));
    assert.equal(await text(s.page, '#expected-amount'), '10,000.00 CNY');
    await shot(s.page, 'customer-quote-api1');

    // seed 000 case 2: by usage, to the balance, with its reasons as text
    await openQuote(s.page, 'DEMO-API-2');
    assert.equal(await text(s.page, '#quote-amount'), '312.50 CNY');
    assert.equal(await text(s.page, '#quote li[data-reason="window_closed"]'), '已超过无理由全额退款期限');
    assert.equal(await text(s.page, '#quote li[data-reason="already_used"]'), '已使用的部分不予退款');
    assert.ok(await s.page.isChecked('#payout-balance'));
    assert.ok(!(await visible(s.page, '#payout-original_route')), 'only the balance is offered after the window');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test("demo-bob's DEMO-IMG-INUSE: refused with the image-in-use remedy, in both languages", async () => {
  const bob = token('demo-bob', 'customer');
  const quote = await ok(api('GET', '/api/v1/orders/DEMO-IMG-INUSE/quote', { tok: bob }), 200);
  assert.equal(quote.remedy.code, 'stop_instance_or_change_os');
  const s = await open('/');
  try {
    await signIn(s.page, bob);
    await waitVisible(s.page, '#orders-body tr[data-order="DEMO-IMG-INUSE"]');
    await openQuote(s.page, 'DEMO-IMG-INUSE');
    assert.equal(await text(s.page, '#quote-amount'), '0.00 CNY');
    assert.equal(await text(s.page, '#quote .quote-head .badge'), '不可退款');
    assert.equal(await text(s.page, '#quote li[data-reason="image_in_use"]'), '镜像正在使用中');
    const remedy = '#quote .remedy[data-remedy="stop_instance_or_change_os"]';
    assert.ok((await text(s.page, remedy)).includes(quote.remedy['zh-CN'].replace(/\s+/g, ' ')));
    assert.ok(!(await visible(s.page, '#refund-form')), 'no form for a refused order');
    assert.match(await text(s.page, '#quote'), /该订单目前不能申请退款/);
    await shot(s.page, 'customer-image-in-use-zh');

    await s.page.click('#lang-toggle');
    assert.equal(await s.page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(s.page, '#orders-h'), 'My orders');
    assert.equal(await text(s.page, '#quote-h'), 'Refund quote');
    assert.equal(await text(s.page, '#quote li[data-reason="image_in_use"]'), 'The image is in use');
    assert.ok((await text(s.page, remedy)).includes(quote.remedy.en));
    assert.equal(await text(s.page, '#quote .quote-head .badge'), 'No refund');
    assert.match(await text(s.page, '#orders-body tr[data-order="DEMO-IMG-INUSE"]'), /Image \(subscription\)/);
    await shot(s.page, 'customer-image-in-use-en');

    // a reload keeps the language (localStorage) and the sign-in (sessionStorage)
    await s.page.reload();
    await waitVisible(s.page, '#orders-body tr');
    assert.equal(await text(s.page, '#orders-h'), 'My orders');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('submitting a refund end to end: one Idempotency-Key reused on retry, then withdraw', async () => {
  const account = `bt-cust-${RUN}-submit`;
  const orderId = await createOrder(account);
  const s = await open('/');
  try {
    const posts = [];
    s.page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/refunds'))
        posts.push({ key: r.headers()['idempotency-key'], body: JSON.parse(r.postData()) });
    });
    await signIn(s.page, token(account, 'customer'));
    await waitVisible(s.page, `#orders-body tr[data-order="${orderId}"]`);
    await openQuote(s.page, orderId);
    assert.equal(await text(s.page, '#quote-amount'), '599.00 CNY');

    // submit without a reason: refused in the page, nothing sent
    await s.page.click('#submit-refund');
    await waitText(s.page, '#quote-alert', /请选择退款原因/);
    assert.equal(await s.page.getAttribute('#reason-code', 'aria-invalid'), 'true');
    assert.equal(posts.length, 0);

    await s.page.selectOption('#reason-code', 'bought_by_mistake');
    await s.page.fill('#reason-text', '买错了规格');
    // the first attempt is lost on the network; the retry must reuse its key
    let dropped = false;
    await s.page.route('**/api/v1/refunds', (route) => {
      if (!dropped && route.request().method() === 'POST') { dropped = true; return route.abort('failed'); }
      return route.continue();
    });
    await s.page.click('#submit-refund');
    await waitText(s.page, '#quote-alert', /网络错误/);
    await s.page.click('#submit-refund');
    await waitText(s.page, '#notice', /退款申请 #\d+ 已提交/);
    assert.equal(posts.length, 2);
    assert.match(posts[0].key, UUID_RE);
    assert.equal(posts[1].key, posts[0].key, 'a retry of the same submission keeps its Idempotency-Key');
    assert.deepEqual(posts[1].body, { order_id: orderId, reason_code: 'bought_by_mistake', reason_text: '买错了规格',
      payout_method: 'original_route', expected_amount: 59900 });

    const id = Number((await text(s.page, '#notice')).match(/#(\d+)/)[1]);
    const stored = await ok(api('GET', `/api/v1/refunds/${id}`, { tok: token(account, 'customer') }), 200);
    assert.equal(stored.status, 'submitted');
    assert.equal(stored.quoted_amount, 59900);
    await waitText(s.page, `#notifications li[data-refund="${id}"]`, /退款申请已提交/);
    // the list and the detail show it
    await waitVisible(s.page, `#refunds-body tr[data-refund="${id}"]`);
    assert.match(await text(s.page, `#refunds-body tr[data-refund="${id}"]`), /599\.00 CNY.*已提交/);
    await waitText(s.page, '#detail-h', new RegExp(`退款申请 #${id}`));
    assert.equal(await s.page.locator('#detail ol.timeline li[data-action="refund.submit"]').count(), 1);
    assert.match(await text(s.page, '#detail'), /买错了规格/);
    // the quote now points at the open request instead of offering a second one
    assert.ok(!(await visible(s.page, '#refund-form')));
    assert.match(await text(s.page, '#quote'), /已有进行中的退款申请/);
    await shot(s.page, 'customer-submitted');

    await s.page.click('#detail [data-action="withdraw"]');
    await s.page.click('#detail [data-action="withdraw-confirm"]');
    await waitText(s.page, '#detail .detail-status', /已撤回/);
    await waitText(s.page, `#refunds-body tr[data-refund="${id}"]`, /已撤回/);
    assert.equal((await ok(api('GET', `/api/v1/refunds/${id}`, { tok: token(account, 'customer') }), 200)).status, 'withdrawn');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(true).filter((p) => !/ERR_FAILED|net::/.test(p)), []);
  } finally { await s.close(); }
});

test('409 quote_changed shows the new quote and asks to confirm again', async () => {
  const account = `bt-cust-${RUN}-changed`;
  // api_credits after the 30-day window: unused credits by usage, to the balance
  const orderId = await createOrder(account, {
    product_type: 'api_credits', billing_mode: 'one_time', product_name: 'API 资源包 1000 次',
    amount_paid: 10000, paid_at: iso(nowS() - 40 * DAY), period_start: undefined, period_end: undefined,
    quantity: 1000, used_quantity: 0,
  });
  const cust = token(account, 'customer');
  const before = await ok(api('GET', `/api/v1/orders/${orderId}/quote`, { tok: cust }), 200);
  const s = await open('/');
  try {
    const keys = [];
    s.page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/refunds')) keys.push(r.headers()['idempotency-key']);
    });
    await signIn(s.page, cust);
    await waitVisible(s.page, `#orders-body tr[data-order="${orderId}"]`);
    await openQuote(s.page, orderId);
    assert.equal(await text(s.page, '#expected-amount'), `${(before.amount / 100).toFixed(2)} CNY`);
    // the customer uses a quarter of the credits while the page is open
    await ok(api('POST', `/api/v1/orders/${orderId}/usage`, { tok: SYSTEM, body: { used_quantity: 250 } }), 200);
    const afterQ = await ok(api('GET', `/api/v1/orders/${orderId}/quote`, { tok: cust }), 200);
    assert.ok(afterQ.amount < before.amount);

    await s.page.selectOption('#reason-code', 'changed_mind');
    await s.page.click('#submit-refund');
    await waitText(s.page, '#quote-alert', /退款金额已变化/);
    assert.match(await text(s.page, '#quote-alert'), /quote_changed/);
    assert.match(await text(s.page, '#quote .callout.warn'),
      new RegExp(`${(before.amount / 100).toFixed(2)} CNY.*${(afterQ.amount / 100).toFixed(2)} CNY`));
    assert.equal(await text(s.page, '#quote-amount'), `${(afterQ.amount / 100).toFixed(2)} CNY`);
    assert.equal(await text(s.page, '#submit-refund'), '确认新金额并提交');
    await shot(s.page, 'customer-quote-changed');

    await s.page.click('#submit-refund');
    await waitText(s.page, '#notice', /已提交/);
    assert.equal(keys.length, 2);
    assert.notEqual(keys[1], keys[0], 'a submission with the new amount is a new submission');
    const list = await ok(api('GET', '/api/v1/refunds', { tok: cust }), 200);
    const mine = list.items.filter((r) => r.order_id === orderId);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].quoted_amount, afterQ.amount);

    // paid to the balance: the customer sees the balance and the notification
    await refundAct(mine[0].id, 'claim', SUPPORT);
    assert.equal((await refundAct(mine[0].id, 'approve', SUPPORT, {})).status, 'approved');
    assert.equal((await ok(api('POST', `/api/v1/refunds/${mine[0].id}/payout`, { tok: FINANCE }), 201)).status, 'paid');
    await s.page.click('#account-refresh');
    await waitText(s.page, '#balance', new RegExp(`^${(afterQ.amount / 100).toFixed(2)} CNY$`));
    await waitText(s.page, `#notifications li[data-kind="refund.paid"][data-refund="${mine[0].id}"]`, /退款已到账/);
    await shot(s.page, 'customer-balance');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(true), []);
  } finally { await s.close(); }
});

test('422 not_eligible shows the reasons and the remedy of the quote now', async () => {
  const account = `bt-cust-${RUN}-ineligible`;
  const orderId = await createOrder(account, {
    product_type: 'image_subscription', product_name: 'LAMP 镜像 包月', amount_paid: 3000,
    period_end: iso(nowS() + 29 * DAY), in_use: false,
  });
  const cust = token(account, 'customer');
  const s = await open('/');
  try {
    await signIn(s.page, cust);
    await waitVisible(s.page, `#orders-body tr[data-order="${orderId}"]`);
    await openQuote(s.page, orderId);
    assert.equal(await text(s.page, '#quote-amount'), '30.00 CNY');
    // the image is put to use before the customer submits
    await ok(api('POST', `/api/v1/orders/${orderId}/usage`, { tok: SYSTEM, body: { in_use: true } }), 200);
    await s.page.selectOption('#reason-code', 'not_as_described');
    await s.page.click('#submit-refund');
    await waitText(s.page, '#quote-alert', /该订单不符合退款条件/);
    assert.match(await text(s.page, '#quote-alert'), /not_eligible/);
    assert.equal(await text(s.page, '#quote-alert li[data-reason="image_in_use"]'), '镜像正在使用中');
    assert.equal(await text(s.page, '#quote-amount'), '0.00 CNY');
    assert.ok(await visible(s.page, '#quote .remedy[data-remedy="stop_instance_or_change_os"]'));
    assert.ok(!(await visible(s.page, '#refund-form')));
    await shot(s.page, 'customer-not-eligible');
    const list = await ok(api('GET', '/api/v1/refunds', { tok: cust }), 200);
    assert.equal(list.items.length, 0, 'nothing was created');
    assert.deepEqual(s.unexpected(true), []);
  } finally { await s.close(); }
});

test('a rejected or expired token sends the customer back to the token form', async () => {
  const s = await open('/');
  try {
    await signIn(s.page, token('demo-alice', 'customer'));
    await waitVisible(s.page, '#orders-body tr');
    // the token expires while the page is open: the next call answers 401
    await s.page.route('**/api/v1/orders/*/quote', (route) => route.fulfill({
      status: 401, contentType: 'application/problem+json',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      body: JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, code: 'invalid_token', detail: 'token expired', request_id: 'x' }),
    }));
    await s.page.click('#orders-body button[data-action="quote"][data-order="DEMO-API-1"]');
    await waitVisible(s.page, '#token-form');
    await waitText(s.page, '#alert', /登录已过期或令牌无效/);
    assert.ok(!(await visible(s.page, '#orders-section')));
    assert.equal(await s.page.evaluate(() => sessionStorage.getItem('refundd.customer.token')), null);
    await s.page.unroute('**/api/v1/orders/*/quote');

    // a token signed with another secret is refused by the server
    const forged = token('demo-alice', 'customer').replace(/\.[^.]+$/, '.AAAA');
    await s.page.fill('#token-input', forged);
    await s.page.click('#token-form button[type=submit]');
    await waitText(s.page, '#alert', /登录已过期或令牌无效/);
    assert.ok(await visible(s.page, '#token-form'));
    await shot(s.page, 'customer-token-expired');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(true), []);
  } finally { await s.close(); }
});

test('cancelling an unpaid order', async () => {
  const account = `bt-cust-${RUN}-cancel`;
  const orderId = await createOrder(account, {
    product_type: 'cloud_server_payg', billing_mode: 'payg', status: 'unpaid', amount_paid: 0,
    paid_at: undefined, period_start: undefined, period_end: undefined, payment_method: 'balance',
    items: [{ item_no: 1, name: 'ECS 实例', status: 'unpaid', amount: 3000 }],
  });
  const s = await open('/');
  try {
    await signIn(s.page, token(account, 'customer'));
    await waitVisible(s.page, `#orders-body tr[data-order="${orderId}"]`);
    await openQuote(s.page, orderId);
    assert.match(await text(s.page, '#quote'), /订单尚未支付/);
    assert.ok(await visible(s.page, '#quote .remedy'));
    const row = `#orders-body tr[data-order="${orderId}"]`;
    await s.page.click(`${row} button[data-action="cancel"]`);
    assert.match(await text(s.page, row), new RegExp(`确定取消订单 ${orderId}`));
    // the row is drawn again: focus moves to its confirm button, not to <body>
    assert.equal(await s.page.evaluate(() => document.activeElement.dataset.action), 'confirm-cancel');
    await s.page.keyboard.press('Enter');
    await waitText(s.page, row, /已取消/);
    await waitText(s.page, '#quote', /订单已取消/);
    assert.equal(await s.page.evaluate(() => document.activeElement.dataset.action), 'quote', 'focus stays in the row');
    await waitText(s.page, '#notice', new RegExp(`订单 ${orderId} 已取消`));
    assert.equal(await s.page.locator(`${row} button[data-action="cancel"]`).count(), 0);
    const order = await ok(api('GET', `/api/v1/orders/${orderId}`, { tok: token(account, 'customer') }), 200);
    assert.equal(order.status, 'cancelled');
    assert.ok(order.items.every((i) => i.status === 'cancelled'));
    await waitText(s.page, '#quote', /订单已取消/);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('the customer answers support: reply to needs_info, confirm a lower approval, appeal a rejection', async () => {
  const account = `bt-cust-${RUN}-answers`;
  const cust = token(account, 'customer');
  const [oInfo, oLower, oReject, oDecline] = [await createOrder(account), await createOrder(account),
    await createOrder(account), await createOrder(account)];
  const rInfo = await submitRefund(cust, oInfo);
  const rLower = await submitRefund(cust, oLower);
  const rReject = await submitRefund(cust, oReject);
  const rDecline = await submitRefund(cust, oDecline);
  for (const r of [rInfo, rLower, rReject, rDecline]) await refundAct(r.id, 'claim', SUPPORT);
  await refundAct(rDecline.id, 'approve', SUPPORT, { amount: 100, note: '只退部分' });
  await refundAct(rInfo.id, 'request-info', SUPPORT, { message: '请提供付款截图' });
  await refundAct(rLower.id, 'approve', SUPPORT, { amount: 50000, note: '扣除已使用部分' });
  await refundAct(rReject.id, 'reject', SUPPORT, { reason_code: 'policy_ineligible', note: '不符合政策' });

  const s = await open('/');
  try {
    await signIn(s.page, cust);
    await waitVisible(s.page, `#refunds-body tr[data-refund="${rInfo.id}"]`);
    assert.match(await text(s.page, `#refunds-body tr[data-refund="${rInfo.id}"]`), /待补充信息/);

    await openRefund(s.page, rInfo.id);
    assert.match(await text(s.page, '#detail .callout.warn'), /客服需要您补充信息：.*请提供付款截图/);
    await shot(s.page, 'customer-needs-info');
    await s.page.click('#detail form button[type=submit]');          // empty: refused in the page
    await waitText(s.page, '#detail-alert', /请输入内容/);
    await s.page.fill('#reply-body', '截图已上传到工单');
    // a language switch redraws the detail and keeps what was typed
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail .detail-status', /Needs information/);
    assert.equal(await s.page.inputValue('#reply-body'), '截图已上传到工单');
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail .detail-status', /待补充信息/);
    assert.equal(await s.page.inputValue('#reply-body'), '截图已上传到工单');
    await s.page.click('#detail form button[type=submit]');
    await waitText(s.page, '#detail .detail-status', /审核中/);
    assert.match(await text(s.page, '#detail ul.messages'), /截图已上传到工单/);
    assert.equal(await s.page.locator('#detail ol.timeline li[data-action="refund.customer_reply"]').count(), 1);

    await openRefund(s.page, rLower.id);
    assert.match(await text(s.page, '#detail .callout.warn'), /500\.00 CNY.*599\.00 CNY/);
    await s.page.click('#detail [data-action="confirm"]');
    await waitText(s.page, '#detail .detail-status', /已批准/);
    assert.equal((await ok(api('GET', `/api/v1/refunds/${rLower.id}`, { tok: cust }), 200)).status, 'approved');

    await openRefund(s.page, rDecline.id);
    assert.match(await text(s.page, '#detail .callout.warn'), /1\.00 CNY.*599\.00 CNY/);
    await s.page.click('#detail [data-action="decline"]');
    await waitText(s.page, '#detail .detail-status', /申诉中/);
    await waitText(s.page, '#notice', /已提交申诉/);

    await openRefund(s.page, rReject.id);
    assert.match(await text(s.page, '#detail dl.facts'), /不符合退款政策/);
    await s.page.fill('#appeal-body', '我在 5 天内申请的');
    await s.page.click('#detail form button[type=submit]');
    await waitText(s.page, '#detail .detail-status', /申诉中/);
    assert.equal(await s.page.locator('#appeal-body').count(), 0, 'only one appeal');
    assert.equal((await ok(api('GET', `/api/v1/refunds/${rReject.id}`, { tok: cust }), 200)).status, 'appealed');

    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail .detail-status', /Appealed/);
    assert.match(await text(s.page, '#detail ol.timeline'), /Appealed/);
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

/* The facts of the open request on the customer page: [term, value] pairs. */
async function facts(page) {
  return page.$$eval('#detail dl.facts dt', (dts) => dts.map((dt) => [dt.textContent.trim(),
    dt.nextElementSibling.textContent.replace(/\s+/g, ' ').trim()]));
}

/* Declining a changed approval is the customer's one appeal; once that is
 * used, declining ends the request as rejected (refund_state.c decline()):
 * the question says so before, and the notice says what happened after. */
test('after the appeal, declining a changed approval is asked as final and ends the request as rejected', async () => {
  const account = `bt-cust-${RUN}-final-decline`;
  const cust = token(account, 'customer');
  const r = await submitRefund(cust, await createOrder(account));
  await refundAct(r.id, 'claim', SUPPORT);
  await refundAct(r.id, 'reject', SUPPORT, { reason_code: 'policy_ineligible', note: '不符合政策' });
  await refundAct(r.id, 'appeal', cust, { message: '请复核' });
  const offer = await refundAct(r.id, 'approve', token(`bt-supervisor-${RUN}`, 'supervisor'), { amount: 30000, note: '退一半' });
  assert.deepEqual([offer.status, offer.appealed], ['awaiting_confirmation', true]);

  const s = await open('/');
  try {
    await signIn(s.page, cust);
    await waitVisible(s.page, `#refunds-body tr[data-refund="${r.id}"]`);
    await openRefund(s.page, r.id);
    const ask = await text(s.page, '#detail .callout.warn');
    assert.match(ask, /300\.00 CNY.*599\.00 CNY.*申诉机会已用过.*以“已拒绝”结束/);
    assert.doesNotMatch(ask, /视为您的申诉/);
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail .callout.warn', /your one appeal is used, so declining ends this request as rejected/);
    assert.doesNotMatch(await text(s.page, '#detail .callout.warn'), /counts as your appeal/);
    await s.page.click('#detail [data-action="decline"]');
    await waitText(s.page, '#detail .detail-status', /Rejected/);
    await waitText(s.page, '#notice', /this request has ended as rejected/);
    assert.doesNotMatch(await text(s.page, '#notice'), /review your appeal/);
    assert.equal((await ok(api('GET', `/api/v1/refunds/${r.id}`, { tok: cust }), 200)).status, 'rejected');
    assert.equal(await s.page.locator('#appeal-body').count(), 0, 'no second appeal offered');
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

/* A first approval above the second-approval threshold (saas_app: 3,000.00)
 * is not a decision yet: the second approver may reject it, and a lower
 * amount still waits for the customer. The page calls the amount what it
 * is, and "approved" only once it is. */
// Staff decided while the customer had the request open: the customer's
// withdrawal is refused (409), and the page then shows the request as it
// is, with what it allows now, instead of the stale buttons (regression:
// the detail stayed as it was and offered the refused action again).
test('a customer action refused by a state staff made meanwhile shows that state (409)', async () => {
  const account = `bt-cust-${RUN}-stale`;
  const cust = token(account, 'customer');
  const r = await submitRefund(cust, await createOrder(account));
  const s = await open('/');
  try {
    await signIn(s.page, cust);
    await openRefund(s.page, r.id);
    await s.page.click('#detail [data-action="withdraw"]');
    await waitVisible(s.page, '#detail [data-action="withdraw-confirm"]');
    await refundAct(r.id, 'claim', SUPPORT);
    await refundAct(r.id, 'approve', SUPPORT, {});
    await s.page.click('#detail [data-action="withdraw-confirm"]');
    await waitText(s.page, '#detail-alert', /./);
    assert.equal(await s.page.getAttribute('#detail-alert .problem', 'data-code'), 'invalid_transition');
    await waitText(s.page, '#detail .detail-status', /已批准/);
    assert.equal(await s.page.locator('#detail [data-action="withdraw"], #detail [data-action="withdraw-confirm"]').count(), 0);
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'detail-alert');
  } finally { await s.close(); }
});

test('the customer sees the amount approved only once it is: proposed, offered, then approved', async () => {
  const account = `bt-cust-${RUN}-approved-amount`;
  const cust = token(account, 'customer');
  const supervisor = token(`bt-supervisor-${RUN}`, 'supervisor');
  const lower = await submitRefund(cust, await createOrder(account, { amount_paid: 500000 }));
  const refused = await submitRefund(cust, await createOrder(account, { amount_paid: 400000 }));
  for (const r of [lower, refused]) await refundAct(r.id, 'claim', SUPPORT);
  assert.equal((await refundAct(lower.id, 'approve', SUPPORT, { amount: 450000, note: '扣除已用部分' })).status,
    'awaiting_second_approval');
  assert.equal((await refundAct(refused.id, 'approve', SUPPORT, {})).status, 'awaiting_second_approval');
  await refundAct(refused.id, 'reject', supervisor, { reason_code: 'policy_ineligible', note: '主管驳回' });

  const s = await open('/');
  const row = `#refunds-body tr[data-refund="${lower.id}"]`;
  try {
    await signIn(s.page, cust);
    await waitVisible(s.page, row);
    // in the list: what was asked for, while the approval is not final
    assert.match(await text(s.page, row), /5,000\.00 CNY.*待二次审批/);
    await openRefund(s.page, lower.id);
    let f = await facts(s.page);
    assert.deepEqual(f.filter(([dt]) => dt === '批准金额'), [], JSON.stringify(f));
    assert.deepEqual(f.find(([dt]) => dt === '拟批准金额（待复核）'), ['拟批准金额（待复核）', '4,500.00 CNY']);
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail dl.facts', /Amount pending approval/);
    assert.doesNotMatch(await text(s.page, '#detail dl.facts'), /Amount approved/);
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail dl.facts', /拟批准金额/);

    // a first approval the second approver rejected was never an approved amount
    await openRefund(s.page, refused.id);
    f = await facts(s.page);
    assert.deepEqual(f.filter(([dt]) => /金额/.test(dt)).map(([dt]) => dt), ['申请金额'], JSON.stringify(f));
    assert.match(await text(s.page, `#refunds-body tr[data-refund="${refused.id}"]`), /4,000\.00 CNY.*已拒绝/);

    // the second approval confirms a lower amount: offered to the customer
    assert.equal((await refundAct(lower.id, 'approve', supervisor, {})).status, 'awaiting_confirmation');
    await openRefund(s.page, lower.id);
    await waitText(s.page, '#detail .detail-status', /待客户确认/);
    f = await facts(s.page);
    assert.deepEqual(f.filter(([dt]) => dt === '批准金额'), [], JSON.stringify(f));
    assert.deepEqual(f.find(([dt]) => dt === '提出的金额（待您确认）'), ['提出的金额（待您确认）', '4,500.00 CNY']);
    await s.page.click('#refunds-refresh');
    await waitText(s.page, row, /待客户确认/);
    assert.match(await text(s.page, row), /5,000\.00 CNY.*待客户确认/);

    // accepted: now it is the amount approved, in the list too
    await s.page.click('#detail [data-action="confirm"]');
    await waitText(s.page, '#detail .detail-status', /已批准/);
    f = await facts(s.page);
    assert.deepEqual(f.find(([dt]) => dt === '批准金额'), ['批准金额', '4,500.00 CNY']);
    await waitText(s.page, row, /4,500\.00 CNY.*已批准/);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('the customer form works from the keyboard, and errors are announced', async () => {
  const s = await open('/');
  try {
    assert.equal(await s.page.getAttribute('#alert', 'role'), 'alert');
    assert.equal(await s.page.getAttribute('#notice', 'role'), 'status');
    // every form control has a label
    const unlabelled = await s.page.$$eval('input, select, textarea', (els) => els
      .filter((e) => e.type !== 'hidden' && !e.labels?.length && !e.getAttribute('aria-label')).map((e) => e.id || e.name));
    assert.deepEqual(unlabelled, []);
    await s.page.keyboard.type(token('demo-alice', 'customer'));
    await s.page.keyboard.press('Tab');
    assert.equal(await s.page.evaluate(() => document.activeElement.textContent), '登录');
    await s.page.keyboard.press('Enter');
    await waitVisible(s.page, '#orders-body tr[data-order="DEMO-API-1"]');
    await s.page.focus('#orders-body button[data-action="quote"][data-order="DEMO-API-1"]');
    await s.page.keyboard.press('Enter');
    await waitText(s.page, '#quote-amount', /10,000\.00 CNY/);
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'quote-section', 'focus moves to the quote');
    assert.equal(await s.page.getAttribute('#orders-body button[data-action="quote"][data-order="DEMO-API-1"]', 'aria-pressed'), 'true');
    await s.page.keyboard.press('Tab');
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'reason-code');
    // submitting with Enter from the form without a reason: announced in the alert region
    await s.page.focus('#submit-refund');
    await s.page.keyboard.press('Enter');
    await waitText(s.page, '#quote-alert', /请选择退款原因/);
    assert.equal(await s.page.getAttribute('#quote-alert', 'role'), 'alert');
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'reason-code');
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('money is formatted and parsed from minor units exactly, by string, with the decimals refundd lists', async () => {
  const s = await open('/');
  try {
    const got = await s.page.evaluate(async () => {
      await RD.configReady;   /* the currencies' decimals come from GET /api/v1/config */
      const cases = ['123.45', '19.99', '0.1', '0.07', '1,234.5', '１２３．４５', '  8 ', '1.234', 'abc', '', '-1', '1e3',
        '999999999999.99', '9999999999999999'];
      return {
        parse: Object.fromEntries(cases.map((c) => [c, RD.parseMajor(c, 'CNY')])),
        jpy: RD.parseMajor('1500', 'JPY'),
        jpyFrac: RD.parseMajor('15.5', 'JPY'),
        fmt: [RD.formatMoney(1000000, 'CNY'), RD.formatMoney(5, 'CNY'), RD.formatMoney(-18750, 'CNY'), RD.formatMoney(1500, 'JPY'),
          RD.formatMoney(123456789012345, 'CNY'), RD.minorToInput(1234550, 'CNY')],
        // three decimals: KWD, and OMR/JOD which the pages once assumed had two
        three: [RD.formatMoney(1234, 'KWD'), RD.formatMoney(1234, 'OMR'), RD.formatMoney(50, 'JOD'),
          RD.minorToInput(1234, 'OMR')],
        omr: [RD.parseMajor('1.234', 'OMR'), RD.parseMajor('1.2345', 'OMR')],
        vnd: RD.formatMoney(1234, 'VND'),
      };
    });
    const v = (x) => (x.ok ? x.value : x.err);
    assert.deepEqual(Object.fromEntries(Object.entries(got.parse).map(([k, x]) => [k, v(x)])), {
      '123.45': 12345, '19.99': 1999, '0.1': 10, '0.07': 7, '1,234.5': 123450, '１２３．４５': 12345, '  8 ': 800,
      '1.234': 'too_many_decimals', abc: 'invalid', '': 'empty', '-1': 'invalid', '1e3': 'invalid',
      '999999999999.99': 99999999999999, '9999999999999999': 'too_large',
    });
    assert.equal(v(got.jpy), 1500);
    assert.equal(v(got.jpyFrac), 'too_many_decimals');
    assert.deepEqual(got.fmt, ['10,000.00 CNY', '0.05 CNY', '-187.50 CNY', '1,500 JPY', '1,234,567,890,123.45 CNY', '12345.50']);
    assert.deepEqual(got.three, ['1.234 KWD', '1.234 OMR', '0.050 JOD', '1.234']);
    assert.equal(v(got.omr[0]), 1234);
    assert.equal(v(got.omr[1]), 'too_many_decimals');
    assert.equal(got.vnd, '1,234 VND');
  } finally { await s.close(); }
});

/* The pages read refundd's configuration (GET /api/v1/config) before they
 * show an amount; an answer lost to a restart or a burst of the rate limit
 * is asked for again, so a 3-decimal currency is not shown with 2. */
test('customer page: the configuration is asked again after a 503, then amounts use its decimals', async () => {
  const account = `bt-cust-${RUN}-omr`;
  const orderId = await createOrder(account, { currency: 'OMR', amount_paid: 12345 });
  const { context, page, problems } = await watchedPage(browser, {});
  try {
    let asked = 0;
    await page.route('**/api/v1/config', (route) => (++asked < 3
      ? route.fulfill({ status: 503, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'db_unavailable' }) })
      : route.continue()));
    assert.equal((await page.goto(BASE + '/')).status(), 200);
    await signIn(page, token(account, 'customer'));
    await waitVisible(page, `#orders-body tr[data-order="${orderId}"]`);
    assert.equal(asked, 3, 'asked twice more after the 503s');
    assert.match(await text(page, `#orders-body tr[data-order="${orderId}"]`), /12\.345 OMR/);
    assert.deepEqual(problems.filter((p) => !/status of 503/.test(p)), []);
  } finally { await context.close(); }
});

/* ---------- staff page ---------- */

test('staff page loads with no console errors and no CSP violations; a customer token is turned away', async () => {
  const s = await open('/staff.html');
  try {
    assert.equal(await text(s.page, '#signin-h'), '退款审核工作台');
    assert.equal(await s.page.locator('script:not([src]), style, [style]').count(), 0);
    await shot(s.page, 'staff-signin');
    await s.page.fill('#token-input', token('demo-alice', 'customer'));
    await s.page.click('#token-form button[type=submit]');
    await waitText(s.page, '#alert', /此页面供员工使用/);
    assert.ok(await visible(s.page, '#token-form'));
    assert.ok(!(await visible(s.page, '#queue-section')));
    // the system role (billing, channel callbacks) likewise, with no 403 from a list
    const lists = [];
    s.page.on('response', (r) => { if (/\/api\/v1\/(refunds|queue|payouts)/.test(r.url())) lists.push(r.status()); });
    await s.page.fill('#token-input', token('billing-sync', 'system'));
    await s.page.click('#token-form button[type=submit]');
    await waitText(s.page, '#alert', /系统令牌.*只用于接口/);
    assert.ok(await visible(s.page, '#token-form'));
    assert.ok(!(await visible(s.page, '#ready-section')));
    assert.equal(await text(s.page, '#notice'), '');
    assert.deepEqual(lists, [], 'nothing was loaded for it');
    await s.page.click('#lang-toggle');
    assert.equal(await text(s.page, '#signin-h'), 'Refund review');
    await waitText(s.page, '#alert', /a system token .* is for the API only/);
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('support works the queue: filters, claim, approve an amount typed in major units', async () => {
  const account = `bt-cust-${RUN}-review`;
  const cust = token(account, 'customer');
  const oA = await createOrder(account);
  const oB = await createOrder(account, { product_type: 'traffic_package', billing_mode: 'one_time',
    amount_paid: 20000, quantity: 100, bonus_quantity: 0, used_quantity: 0, period_start: undefined, period_end: undefined });
  const rA = await submitRefund(cust, oA);
  const rB = await submitRefund(cust, oB);

  const s = await open('/staff.html');
  try {
    const queueCalls = [];
    s.page.on('request', (r) => { if (r.url().includes('/api/v1/queue')) queueCalls.push(new URL(r.url()).searchParams); });
    await signIn(s.page, SUPPORT);
    await waitVisible(s.page, '#queue-section');
    assert.match(await text(s.page, '#who-text'), new RegExp(`${SUPPORT_SUB}（客服）`));
    await waitVisible(s.page, '#queue-body tr');
    // ordered by due date
    const dues = await s.page.$$eval('#queue-body tr time', (ts) => ts.map((x) => Date.parse(x.getAttribute('datetime'))));
    assert.deepEqual(dues, [...dues].sort((a, b) => a - b));

    // this run's provider narrows the queue to this test's requests
    await s.page.fill('#f-provider', PROVIDER);
    await s.page.press('#f-provider', 'Enter');
    await waitVisible(s.page, `#queue-body tr[data-refund="${rA.id}"]`);
    await waitVisible(s.page, `#queue-body tr[data-refund="${rB.id}"]`);
    assert.equal(queueCalls.at(-1).get('provider'), PROVIDER);
    const rowA = `#queue-body tr[data-refund="${rA.id}"]`;
    assert.match(await text(s.page, rowA), /已提交/);
    assert.match(await text(s.page, rowA), /599\.00 CNY/);
    assert.match(await text(s.page, rowA), /未分配/);
    await s.page.selectOption('#f-type', 'traffic_package');
    await waitHidden(s.page, rowA);
    assert.ok(await visible(s.page, `#queue-body tr[data-refund="${rB.id}"]`));
    assert.equal(queueCalls.at(-1).get('product_type'), 'traffic_package');
    await s.page.selectOption('#f-type', '');
    await s.page.selectOption('#f-assignee', 'none');
    await waitVisible(s.page, rowA);
    assert.equal(queueCalls.at(-1).get('assignee'), 'none');
    await shot(s.page, 'staff-queue');

    await openRefund(s.page, rA.id);
    assert.match(await text(s.page, '#detail dl.facts'), new RegExp(account));
    assert.match(await text(s.page, '#detail .quote-submitted'), /599\.00 CNY/);
    await s.page.click('#detail [data-action="claim"]');
    await waitText(s.page, '#detail .detail-status', /审核中/);
    assert.match(await text(s.page, '#detail dl.facts'), new RegExp(SUPPORT_SUB));
    await waitHidden(s.page, rowA);                      // no longer unassigned
    await s.page.selectOption('#f-assignee', 'me');
    await waitVisible(s.page, rowA);
    assert.match(await text(s.page, rowA), new RegExp(SUPPORT_SUB));

    // the amount field: prefilled with the quote, refuses three decimals
    assert.equal(await s.page.inputValue('#approve-amount'), '599.00');
    assert.equal(await text(s.page, 'label[for="approve-amount"]'), '批准金额（CNY，如 123.45）');
    let approves = 0;
    s.page.on('request', (r) => { if (r.url().endsWith(`/refunds/${rA.id}/approve`)) approves++; });
    await s.page.fill('#approve-amount', '123.456');
    await s.page.click('#detail form[data-form="approve"] button[type=submit]');
    await waitText(s.page, '#detail-alert', /小数位数过多/);
    assert.equal(await s.page.getAttribute('#approve-amount', 'aria-invalid'), 'true');
    assert.equal(approves, 0);
    await s.page.fill('#approve-amount', '123.45');
    assert.match(await text(s.page, '#approve-amount-preview'), /将批准 123\.45 CNY/);
    await s.page.fill('#approve-note', '按实际使用折算');
    await shot(s.page, 'staff-detail');
    await s.page.click('#detail form[data-form="approve"] button[type=submit]');
    await waitText(s.page, '#detail .detail-status', /待客户确认/);
    const stored = await ok(api('GET', `/api/v1/refunds/${rA.id}`, { tok: SUPPORT }), 200);
    assert.equal(stored.approved_amount, 12345, 'typed 123.45, sent 12345 minor units');
    assert.equal(stored.status, 'awaiting_confirmation');
    assert.equal(stored.decision_note, '按实际使用折算');
    await waitHidden(s.page, rowA);                      // left the queue

    // the second request: ask for information, then reject it
    await s.page.selectOption('#f-assignee', '');
    await waitVisible(s.page, `#queue-body tr[data-refund="${rB.id}"]`);
    await openRefund(s.page, rB.id);
    await s.page.click('#detail [data-action="claim"]');
    await waitText(s.page, '#detail .detail-status', /审核中/);
    await s.page.fill('#info-message', '请说明流量包的使用情况');
    await s.page.click('#detail form[data-form="info-message"] button[type=submit]');
    await waitText(s.page, '#detail .detail-status', /待补充信息/);
    assert.match(await text(s.page, '#detail ul.messages'), /请说明流量包的使用情况/);
    await s.page.selectOption('#reject-reason', 'insufficient_information');
    await s.page.fill('#reject-note', '未收到回复');
    await s.page.click('#detail form[data-form="reject"] button[type=submit]');
    await waitText(s.page, '#detail .detail-status', /已拒绝/);
    const rejected = await ok(api('GET', `/api/v1/refunds/${rB.id}`, { tok: SUPPORT }), 200);
    assert.equal(rejected.reject_reason, 'insufficient_information');

    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail .detail-status', /Rejected/);
    assert.equal(await text(s.page, '#queue-h'), 'Review queue');
    assert.equal(await text(s.page, '#notice'), `Request #${rB.id} rejected.`, 'the notice follows the language');
    await shot(s.page, 'staff-detail-en');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('staff detail: a JPY amount label, typed values kept across a language switch, refusals focus their field, a 409 shows the state now', async () => {
  const account = `bt-cust-${RUN}-jpy`;
  const cust = token(account, 'customer');
  const rJ = await submitRefund(cust, await createOrder(account, { currency: 'JPY', amount_paid: 12000 }));
  await refundAct(rJ.id, 'claim', SUPPORT);
  const rC = await submitRefund(cust, await createOrder(account));
  const s = await open('/staff.html');
  try {
    await signIn(s.page, SUPPORT);
    await s.page.fill('#f-provider', PROVIDER);
    await s.page.press('#f-provider', 'Enter');
    await waitVisible(s.page, `#queue-body tr[data-refund="${rC.id}"]`);
    await openRefund(s.page, rJ.id);
    // the unit and an example valid for JPY (no decimals)
    assert.equal(await text(s.page, 'label[for="approve-amount"]'), '批准金额（JPY，如 12345）');
    await s.page.fill('#approve-amount', '1000');
    await s.page.selectOption('#reject-reason', 'other');
    await s.page.fill('#staff-message', '请稍候');
    await s.page.click('#lang-toggle');
    await waitText(s.page, 'label[for="approve-amount"]', /^Amount to approve \(JPY, e\.g\. 12345\)$/);
    assert.equal(await s.page.inputValue('#approve-amount'), '1000', 'typed values survive the switch');
    assert.equal(await s.page.inputValue('#reject-reason'), 'other');
    assert.equal(await s.page.inputValue('#staff-message'), '请稍候');
    assert.match(await text(s.page, '#approve-amount-preview'), /1,000 JPY/);
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail .detail-status', /审核中/);
    assert.equal(await s.page.inputValue('#approve-amount'), '1000');

    // less than the quote without a note: 422 note_required, translated alone, focus on the note
    await s.page.click('#detail form[data-form="approve"] button[type=submit]');
    await waitText(s.page, '#detail-alert', /请填写说明/);
    assert.equal(await s.page.getAttribute('#detail-alert .problem', 'data-code'), 'note_required');
    assert.equal(await s.page.locator('#detail-alert .problem-detail').count(), 0, 'no English detail after the translation');
    assert.match(await text(s.page, '#detail-alert .problem-meta'), /请求编号: \S+/);
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'approve-note');
    assert.equal(await s.page.getAttribute('#approve-note', 'aria-invalid'), 'true');

    // claimed by someone else meanwhile: 409, and the page shows the request as it is now
    await openRefund(s.page, rC.id);
    const other = `bt-support2-${RUN}`;
    await refundAct(rC.id, 'claim', token(other, 'support'));
    await s.page.click('#detail [data-action="claim"]');
    await waitText(s.page, '#detail-alert', /该申请已由其他人受理/);
    await waitText(s.page, '#detail .detail-status', /审核中/);
    assert.match(await text(s.page, '#detail dl.facts'), new RegExp(other));
    assert.equal(await s.page.locator('#detail [data-action="claim"]').count(), 0);
    await waitText(s.page, `#queue-body tr[data-refund="${rC.id}"]`, new RegExp(other));
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'detail-alert', 'focus on the message');
    assert.deepEqual(s.unexpected(true), []);
  } finally { await s.close(); }
});

test('every problem code of docs/openapi.yaml reads in both languages', async () => {
  const yaml = readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8');
  const table = yaml.slice(yaml.indexOf('    ProblemCode:'), yaml.indexOf('      enum:', yaml.indexOf('    ProblemCode:')));
  const codes = [...table.matchAll(/^\s+\| ([a-z0-9_]+) \|/gm)].map((m) => m[1]).filter((c) => c !== 'code');
  assert.ok(codes.length > 90, `${codes.length} codes`);
  const s = await open('/');
  try {
    const missing = await s.page.evaluate((list) => {
      const out = [];
      for (const l of ['zh-CN', 'en']) {
        RD.setLang(l);
        for (const c of list) if (!RD.has(`code.${c}`)) out.push(`${l}:${c}`);
      }
      return out;
    }, codes);
    assert.deepEqual(missing, []);
  } finally { await s.close(); }
});

test('overdue requests are highlighted, and the overdue filter is sent', async () => {
  const account = `bt-cust-${RUN}-overdue`;
  const r = await submitRefund(token(account, 'customer'), await createOrder(account));
  const s = await open('/staff.html');
  try {
    // due dates are business days ahead, so a fresh request is never overdue:
    // the queue's answer is altered on its way to the page to make it so
    await s.page.route('**/api/v1/queue*', async (route) => {
      try {
        const res = await route.fetch();
        const body = await res.json();
        for (const item of body.items) if (item.id === r.id) { item.overdue = true; item.due_at = '2020-01-02T03:04:05Z'; }
        await route.fulfill({ response: res, json: body });
      } catch { /* the page closed while the answer was on its way */ }
    });
    await signIn(s.page, SUPPORT);
    await s.page.fill('#f-provider', PROVIDER);
    await s.page.press('#f-provider', 'Enter');
    const row = `#queue-body tr[data-refund="${r.id}"]`;
    await waitVisible(s.page, row);
    assert.equal(await s.page.getAttribute(row, 'data-overdue'), 'true');
    assert.match(await s.page.getAttribute(row, 'class'), /\boverdue\b/);
    assert.match(await text(s.page, row), /已逾期/);
    await shot(s.page, 'staff-overdue');
    const res = s.page.waitForResponse((q) => q.url().includes('/api/v1/queue') && q.url().includes('overdue=true'));
    await s.page.check('#f-overdue');
    assert.equal((await res).status(), 200);
    await s.page.unrouteAll({ behavior: 'wait' });
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('a supervisor gives the second approval and decides an appeal', async () => {
  const account = `bt-cust-${RUN}-supervisor`;
  const cust = token(account, 'customer');
  // above the saas_app second-approval threshold (3,000.00)
  const big = await submitRefund(cust, await createOrder(account, { amount_paid: 500000 }));
  await refundAct(big.id, 'claim', SUPPORT);
  assert.equal((await refundAct(big.id, 'approve', SUPPORT, {})).status, 'awaiting_second_approval');
  const appealed = await submitRefund(cust, await createOrder(account));
  await refundAct(appealed.id, 'claim', SUPPORT);
  await refundAct(appealed.id, 'reject', SUPPORT, { reason_code: 'other', note: '需要主管复核' });
  assert.equal((await refundAct(appealed.id, 'appeal', cust, { message: '请复核' })).status, 'appealed');
  const supSub = `bt-supervisor-${RUN}`;
  // one the supervisor approved first: the second approval is someone else's
  const own = await submitRefund(cust, await createOrder(account, { amount_paid: 400000 }));
  await refundAct(own.id, 'claim', token(supSub, 'supervisor'));
  assert.equal((await refundAct(own.id, 'approve', token(supSub, 'supervisor'), {})).status, 'awaiting_second_approval');

  const s = await open('/staff.html');
  try {
    await signIn(s.page, token(supSub, 'supervisor'));
    await s.page.fill('#f-provider', PROVIDER);
    await s.page.selectOption('#f-status', 'awaiting_second_approval');
    await waitVisible(s.page, `#queue-body tr[data-refund="${big.id}"]`);
    await openRefund(s.page, own.id);
    assert.equal(await s.page.locator('#detail form[data-form="approve"]').count(), 0, 'no Approve for the first approver');
    assert.match(await text(s.page, '#detail [data-why="same_approver"]'), /您已作为首次审批人批准了此申请/);
    assert.equal(await s.page.locator('#detail form[data-form="reject"]').count(), 1, 'Reject stays');
    await openRefund(s.page, big.id);
    assert.match(await text(s.page, '#detail form[data-form="approve"]'),
      new RegExp(`首次批准：5,000\\.00 CNY.*${SUPPORT_SUB}`));
    assert.equal(await s.page.locator('#approve-amount').count(), 0, 'the second approval approves the first amount');
    await shot(s.page, 'staff-second-approval');
    await s.page.click('#detail form[data-form="approve"] button[type=submit]');
    await waitText(s.page, '#detail .detail-status', /已批准/);
    const done = await ok(api('GET', `/api/v1/refunds/${big.id}`, { tok: SUPPORT }), 200);
    assert.equal(done.second_approver, supSub);
    assert.equal(done.approved_amount, 500000);

    await s.page.selectOption('#f-status', 'appealed');
    await waitVisible(s.page, `#queue-body tr[data-refund="${appealed.id}"]`);
    await openRefund(s.page, appealed.id);
    assert.match(await text(s.page, '#detail ul.messages'), /请复核/);
    await s.page.fill('#approve-amount', '599');
    await s.page.click('#detail form[data-form="approve"] button[type=submit]');
    await waitText(s.page, '#detail .detail-status', /已批准/);
    assert.equal((await ok(api('GET', `/api/v1/refunds/${appealed.id}`, { tok: SUPPORT }), 200)).approved_amount, 59900);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('finance pays an approved refund and settles the payout', async () => {
  const account = `bt-cust-${RUN}-finance`;
  const r = await submitRefund(token(account, 'customer'), await createOrder(account));
  await refundAct(r.id, 'claim', SUPPORT);
  const approved = await refundAct(r.id, 'approve', SUPPORT, {});
  assert.equal(approved.status, 'approved');
  // another one whose payout failed: it arrives never
  const rf = await submitRefund(token(account, 'customer'), await createOrder(account));
  await refundAct(rf.id, 'claim', SUPPORT);
  await refundAct(rf.id, 'approve', SUPPORT, {});
  const failedId = (await ok(api('POST', `/api/v1/refunds/${rf.id}/payout`, { tok: FINANCE, body: {} }), 201)).payouts.at(-1).id;
  await ok(api('POST', `/api/v1/payouts/${failedId}/fail`, { tok: FINANCE, body: { reason: 'card_closed' } }), 200);

  // a cloud server in its window, whose quote offers both methods: the
  // confirmed one is paid; the other is offered only after a payout failed
  const cs = await submitRefund(token(account, 'customer'), await createOrder(account, {
    product_type: 'cloud_server', product_name: 'ECS 2核4G 包年', payment_method: 'wechat', amount_paid: 120000 }));
  await refundAct(cs.id, 'claim', SUPPORT);
  await refundAct(cs.id, 'approve', SUPPORT, {});

  const s = await open('/staff.html');
  try {
    await signIn(s.page, FINANCE);
    await waitVisible(s.page, '#ready-section');
    assert.ok(!(await visible(s.page, '#queue-section')), 'finance has no review queue');
    assert.ok(await visible(s.page, '#payouts-section'));
    await openRefund(s.page, cs.id);
    await waitVisible(s.page, '#detail [data-action="payout"]');
    assert.equal(await s.page.locator('#payout-method').count(), 0, 'no switch before a payout failed');
    const csPayout = (await ok(api('POST', `/api/v1/refunds/${cs.id}/payout`, { tok: FINANCE, body: {} }), 201)).payouts.at(-1).id;
    await ok(api('POST', `/api/v1/payouts/${csPayout}/fail`, { tok: FINANCE, body: { reason: 'account closed' } }), 200);
    await s.page.click('#detail-close');
    await openRefund(s.page, cs.id);
    await waitVisible(s.page, '#payout-method');
    assert.deepEqual(await s.page.locator('#payout-method option').evaluateAll((o) => o.map((x) => x.value)),
      ['original_route', 'balance']);
    await s.page.click('#detail-close');
    const frow = `#payouts-body tr[data-payout="${failedId}"]`;
    await waitVisible(s.page, frow);
    assert.equal(await s.page.getAttribute(frow, 'data-status'), 'failed');
    assert.equal(await text(s.page, `${frow} td[data-col="arrival"]`), '—', 'a failed payout has no expected arrival');
    const row = `#ready-body tr[data-refund="${r.id}"]`;
    await waitVisible(s.page, row);
    assert.match(await text(s.page, row), /599\.00 CNY.*原路退回.*已批准/);
    await openRefund(s.page, r.id);
    assert.match(await text(s.page, '#detail [data-action="payout"]'), /确认打款 599\.00 CNY/);
    await shot(s.page, 'staff-finance');
    await s.page.click('#detail [data-action="payout"]');
    await waitText(s.page, '#detail .detail-status', /打款中/);
    await waitHidden(s.page, row);                       // no longer approved

    const prow = `#payouts-body tr[data-refund="${r.id}"]`;
    await waitVisible(s.page, prow);
    assert.equal(await s.page.getAttribute(prow, 'data-status'), 'pending');
    assert.match(await text(s.page, prow), /599\.00 CNY.*支付宝.*待发送/);
    // the CSV export for the payment channel: a file, and the payout is sent
    const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.click('#payouts-export')]);
    assert.match(download.suggestedFilename(), /^payouts-\d{8}-\d{6}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0], /payout_id/);
    assert.ok(csv.split('\n').some((line) => line.includes(r.order_id)), `the export lists ${r.order_id}:\n${csv}`);
    await waitText(s.page, '#notice', /已导出 \d+ 笔打款/);
    await waitText(s.page, prow, /已发送/);
    await s.page.click(`${prow} button[data-action="settle"]`);
    await waitText(s.page, prow, /已到账/);
    await waitText(s.page, '#detail .detail-status', /已退款/);
    const paid = await ok(api('GET', `/api/v1/refunds/${r.id}`, { tok: FINANCE }), 200);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.payouts.length, 1);
    assert.equal(paid.payouts[0].status, 'settled');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

/* The payouts table of finance: an action refused there (409: the payout
 * moved on meanwhile) is shown in the table's own alert, focused, not in
 * the detail panel of a refund further down, and the table shows the
 * payout as it is now. A lost export is downloaded again with
 * ?status=sent (README, conf/nginx.conf), which changes nothing. */
test('payouts table: a refused action is shown there and the table reloaded; the sent instructions download again, read-only', async () => {
  const account = `bt-cust-${RUN}-payouts`;
  const cust = token(account, 'customer');
  const approvedRefund = async (overrides) => {
    const r = await submitRefund(cust, await createOrder(account, overrides));
    await refundAct(r.id, 'claim', SUPPORT);
    await refundAct(r.id, 'approve', SUPPORT, {});
    return r;
  };
  // a product name on two lines: one record of the CSV, counted as one
  const a = await approvedRefund({ product_name: '浏览器测试 SaaS\r\n第二行, "年付"' });
  const b = await approvedRefund();
  const pa = (await ok(api('POST', `/api/v1/refunds/${a.id}/payout`, { tok: FINANCE, body: {} }), 201)).payouts.at(-1);
  const payoutStatus = async (id) => (await ok(api('GET', `/api/v1/refunds/${id}`, { tok: FINANCE }), 200)).payouts.at(-1).status;

  const s = await open('/staff.html');
  try {
    await signIn(s.page, FINANCE);
    const arow = `#payouts-body tr[data-payout="${pa.id}"]`;
    await waitVisible(s.page, arow);
    assert.equal(await s.page.getAttribute(arow, 'data-status'), 'pending');
    // the refund's detail is open further down the page
    await s.page.click(`${arow} button.link-button`);
    await waitText(s.page, '#detail-h', new RegExp(`#${a.id}\\b`));
    // another finance tab exports meanwhile: the payout is sent, this page does not know
    const exported = await fetch(`${BASE}/api/v1/payouts`, { headers: { Authorization: `Bearer ${FINANCE}`, Accept: 'text/csv' } });
    assert.equal(exported.status, 200);
    assert.match(await exported.text(), new RegExp(a.order_id));
    await s.page.click(`${arow} button[data-action="fail"]`);
    await s.page.fill(`${arow} #fail-reason-${pa.id}`, 'card_closed');
    await s.page.click(`${arow} form button[type=submit]`);
    await waitText(s.page, '#payouts-alert', /该笔付款已发往支付渠道/);
    assert.equal(await s.page.evaluate(() => document.activeElement && document.activeElement.id), 'payouts-alert');
    assert.ok(!(await visible(s.page, '#detail-alert')), 'not in the detail panel');
    await waitText(s.page, arow, /已发送/);                    // the table is as refundd has it now
    assert.equal(await s.page.getAttribute(arow, 'data-status'), 'sent');
    assert.equal(await s.page.locator(`${arow} button[data-action="fail"]`).count(), 0, 'a sent payout offers no "failed"');
    assert.equal(await payoutStatus(a.id), 'sent');

    // A new pending payout; downloading the sent ones again leaves it pending.
    await ok(api('POST', `/api/v1/refunds/${b.id}/payout`, { tok: FINANCE, body: {} }), 201);
    await s.page.click('#lang-toggle');
    assert.equal(await text(s.page, '#payouts-resend'), 'Download export again (CSV)');
    await s.page.click('#lang-toggle');
    assert.equal(await text(s.page, '#payouts-resend'), '重新下载导出（CSV）');
    // the sent payout names its export: the number to download it again by
    const exportNo = (await ok(api('GET', `/api/v1/refunds/${a.id}`, { tok: FINANCE }), 200)).payouts.at(-1).export_id;
    assert.ok(Number.isInteger(exportNo), `export_id ${exportNo}`);
    await waitText(s.page, `${arow} .export-no`, new RegExp(`^导出批次 ${exportNo}$`));
    const [download, request] = await Promise.all([
      s.page.waitForEvent('download'),
      s.page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/payouts'),
      s.page.click('#payouts-resend')]);
    assert.equal(new URL(request.url()).search, '?status=sent');
    assert.equal(request.headers().accept, 'text/csv');
    assert.match(download.suggestedFilename(), /^payouts-sent-\d{8}-\d{6}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0], /payout_id/);
    assert.ok(csv.split('\n').some((line) => line.startsWith(`${pa.id},`) && line.includes(a.order_id)), csv);
    assert.ok(!csv.includes(b.order_id), 'the pending one is not in it');
    await waitText(s.page, '#notice', /已重新下载 \d+ 笔已发送的打款/);
    assert.equal(await payoutStatus(b.id), 'pending', 'nothing was marked sent');
    assert.equal(await payoutStatus(a.id), 'sent');

    // An earlier export by its number; a number that is none is refused here.
    await s.page.fill('#payouts-export-no', String(exportNo));
    const [again, byNumber] = await Promise.all([
      s.page.waitForEvent('download'),
      s.page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/payouts'),
      s.page.click('#payouts-resend')]);
    assert.equal(new URL(byNumber.url()).search, `?status=sent&export=${exportNo}`);
    const file = readFileSync(await again.path(), 'utf8');
    assert.ok(file.split('\n').some((line) => line.startsWith(`${pa.id},`)));
    const records = file.split('\r\n').filter((line) => /^\d+,/.test(line)).length;
    assert.ok(file.includes('第二行') && records >= 1);
    await waitText(s.page, '#notice', new RegExp(`已重新下载 ${records} 笔已发送的打款`));
    await s.page.fill('#payouts-export-no', '12a');
    await s.page.click('#payouts-resend');
    await waitText(s.page, '#payouts-alert', /批次号是一个正整数/);
    assert.equal(await s.page.getAttribute('#payouts-export-no', 'aria-invalid'), 'true');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(true), []);
  } finally { await s.close(); }
});

/* ---------- issue 11: the portal's hand-off, dates in the reseller's zone ---------- */

const PAGE_CONFIG = (async () => {
  const r = await fetch(`${BASE}/api/v1/config`);
  assert.equal(r.status, 200, 'refundd serves /api/v1/config');
  return r.json();
})();

/* A token that expired an hour ago (beyond any leeway). */

/* Opens a page with a fresh context on a portal hand-off address. */
async function openHandoff(path, tok, opts = {}) {
  return open(`${path}#token=${tok}`, opts);
}

/* The signed-out state: the token form, and the way back to the portal
 * when /api/v1/config names one (scripts/test configures one). */
async function assertSignedOut(s, lang) {
  const cfg = await PAGE_CONFIG;
  await waitVisible(s.page, '#token-form');
  await waitText(s.page, '#alert', lang === 'en' ? /session has expired or the token is not valid/ : /登录已过期或令牌无效/);
  const link = s.page.locator('#alert a.portal-link');
  if (cfg.portal_url) {
    assert.equal(await link.count(), 1, 'the signed-out message links to the portal');
    assert.equal(await link.getAttribute('href'), cfg.portal_url);
    assert.equal((await link.textContent()).trim(), lang === 'en' ? 'Back to the portal to sign in' : '返回门户登录');
    assert.ok(await visible(s.page, '#portal-signin'), 'the sign-in card offers the portal too');
    assert.equal(await s.page.getAttribute('#portal-signin a', 'href'), cfg.portal_url);
  } else {
    assert.equal(await link.count(), 0, 'no portal configured: no link');
    assert.ok(!(await visible(s.page, '#portal-signin')));
  }
  assert.ok(await visible(s.page, '#token-input'), 'the paste box stays');
  assert.equal(await s.page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith('.token')).length), 0);
}

/* The token is nowhere in the address, the history entry, or localStorage. */
async function assertTokenGone(s, tok) {
  assert.ok(!s.page.url().includes('token'), `address bar: ${s.page.url()}`);
  assert.ok(!s.page.url().includes(tok.slice(-20)));
  const seen = await s.page.evaluate(() => ({
    href: location.href, hash: location.hash, length: history.length,
    local: JSON.stringify(Object.entries(localStorage)),
  }));
  assert.equal(seen.hash, '');
  assert.ok(!seen.href.includes('token'));
  // the new tab's about:blank and this page: replaced, not pushed
  assert.equal(seen.length, 2, 'replaceState added no history entry');
  assert.ok(!seen.local.includes(tok.slice(-20)), 'never in localStorage');
}

test('portal hand-off on the customer page: token taken from the fragment, gone from the address and history, kept for reload', async () => {
  const tok = token('demo-alice', 'customer');
  const s = await openHandoff('/', tok);
  try {
    await waitVisible(s.page, '#who');
    await waitVisible(s.page, '#orders-body tr[data-order="DEMO-API-1"]');
    assert.match(await text(s.page, '#who-text'), /demo-alice/);
    await assertTokenGone(s, tok);
    assert.equal(await s.page.evaluate(() => sessionStorage.getItem('refundd.customer.token')), tok, 'kept in sessionStorage');
    // no request carried the token anywhere but the Authorization header
    const urls = [];
    s.page.on('request', (r) => urls.push(r.url()));
    await s.page.reload();
    await waitVisible(s.page, '#orders-body tr[data-order="DEMO-API-1"]');
    assert.ok(urls.length > 0 && urls.every((u) => !u.includes(tok.slice(-20))), 'the token is in no address');
    assert.ok(!s.page.url().includes('token'));
    // going elsewhere and back: the history entry holds no token, the session stays
    await s.page.goto(`${BASE}/staff.html`);
    await s.page.goBack();
    await waitVisible(s.page, '#who');
    assert.equal(new URL(s.page.url()).hash, '');
    assert.ok(!s.page.url().includes('token'));
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

test('portal hand-off on the staff page, and a hand-off replaces the session of the tab', async () => {
  const s = await openHandoff('/staff.html', SUPPORT);
  try {
    await waitVisible(s.page, '#queue-section');
    assert.match(await text(s.page, '#who-text'), new RegExp(SUPPORT_SUB));
    await assertTokenGone(s, SUPPORT);
    assert.equal(await s.page.evaluate(() => sessionStorage.getItem('refundd.staff.token')), SUPPORT);
    // the portal hands over another person: the new token wins
    await s.page.goto(`${BASE}/staff.html#token=${FINANCE}`);
    await waitVisible(s.page, '#payouts-section');
    assert.match(await text(s.page, '#who-text'), /bt-finance-/);
    assert.equal(await s.page.evaluate(() => sessionStorage.getItem('refundd.staff.token')), FINANCE);
    assert.ok(!s.page.url().includes('token'));
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

for (const [path, role, lang] of [['/', 'customer', 'zh-CN'], ['/staff.html', 'support', 'en']]) {
  test(`an expired hand-off token on ${path} (${lang}): signed out, with the way back to the portal`, async () => {
    const tok = expiredToken(`bt-expired-${RUN}`, role);
    const s = await openHandoff(path, tok, { lang });
    try {
      await assertSignedOut(s, lang);
      assert.ok(!s.page.url().includes('token'), 'a refused token leaves the address too');
      assert.ok(!(await visible(s.page, '#who')));
      await shot(s.page, `signed-out-${role}-${lang}`);
      // the other language says the same
      await s.page.click('#lang-toggle');
      await assertSignedOut(s, lang === 'en' ? 'zh-CN' : 'en');
      // a reload stays signed out and shows no broken page
      await s.page.reload();
      await waitVisible(s.page, '#token-form');
      assert.ok(!(await visible(s.page, '#who')));
      assert.deepEqual(await s.csp(), []);
      assert.deepEqual(s.unexpected(true), []);
    } finally { await s.close(); }
  });
}

/* "2026-12-07 15:29 UTC+8": an instant as the pages must show it, in the
 * reseller's zone (/api/v1/config), worked out here without the page's code. */
async function zoneTime(isoTs) {
  const zone = (await PAGE_CONFIG).timezone;
  const d = new Date(isoTs);
  const p = {};
  for (const x of new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(d)) p[x.type] = x.value;
  const off = Math.round((Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(d.getTime() / 1000) * 1000) / 60000);
  const abs = Math.abs(off);
  const label = off === 0 ? 'UTC' : `UTC${off < 0 ? '-' : '+'}${Math.floor(abs / 60)}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${label}`;
}

test("due and arrival dates in the reseller's time zone, whatever the browser's, in both languages", async () => {
  const account = `bt-cust-${RUN}-dates`;
  const cust = token(account, 'customer');
  const open1 = await submitRefund(cust, await createOrder(account));
  const paying = await submitRefund(cust, await createOrder(account, { payment_method: 'card' }));
  await refundAct(paying.id, 'claim', SUPPORT);
  await refundAct(paying.id, 'approve', SUPPORT, {});
  const out = await ok(api('POST', `/api/v1/refunds/${paying.id}/payout`, { tok: FINANCE, body: {} }), 201);
  assert.equal(out.status, 'paying');
  assert.ok(out.expected_arrival_from && out.expected_arrival, 'the API gives both arrival dates');
  assert.notEqual(out.expected_arrival_from, out.expected_arrival, 'card: 3 to 7 business days');
  const paid = await submitRefund(cust, await createOrder(account));
  await refundAct(paid.id, 'claim', SUPPORT);
  await refundAct(paid.id, 'approve', SUPPORT, {});
  const pp = await ok(api('POST', `/api/v1/refunds/${paid.id}/payout`, { tok: FINANCE, body: {} }), 201);
  await ok(api('POST', `/api/v1/payouts/${pp.payouts[0].id}/settle`, { tok: FINANCE, body: {} }), 200);
  const settled = await ok(api('GET', `/api/v1/refunds/${paid.id}`, { tok: cust }), 200);
  assert.equal(settled.status, 'paid');

  const due = await zoneTime(open1.due_at);
  const [from, to] = [await zoneTime(out.expected_arrival_from), await zoneTime(out.expected_arrival)];
  const arrived = await zoneTime(settled.payouts[0].settled_at);
  // a browser far from the reseller: its own clock must not leak in
  const s = await openHandoff('/', cust, { timezoneId: 'America/New_York' });
  try {
    await waitVisible(s.page, `#refunds-body tr[data-refund="${open1.id}"]`);
    assert.match(await text(s.page, `#refunds-body tr[data-refund="${open1.id}"] time`), new RegExp(`^${(await zoneTime(open1.created_at)).replace('+', '\\+')}$`));
    await openRefund(s.page, open1.id);
    assert.equal(await text(s.page, '#detail dd.due'), due);
    assert.equal(await s.page.getAttribute('#detail dd.due time', 'datetime'), open1.due_at);
    assert.equal(await s.page.locator('#detail dd.arrival').count(), 0, 'no arrival before a payout');

    await openRefund(s.page, paying.id);
    assert.equal(await text(s.page, '#detail dd.arrival'), `${from} 至 ${to}`);
    assert.equal(await s.page.locator('#detail dd.due').count(), 0, 'decided: no decision due any more');
    await shot(s.page, 'customer-arrival-zh');
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail dl.facts', /Money expected/);
    assert.equal(await text(s.page, '#detail dd.arrival'), `between ${from} and ${to}`);

    await openRefund(s.page, paid.id);
    await waitText(s.page, '#detail dl.facts', /Money arrived/);
    assert.equal(await text(s.page, '#detail dd.arrival'), arrived);
    await s.page.click('#lang-toggle');
    await openRefund(s.page, open1.id);
    await waitText(s.page, '#detail dl.facts', /预计处理期限/);
    assert.equal(await text(s.page, '#detail dd.due'), due);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }

  // staff: the queue's due column, in the same zone, in English too
  const st = await openHandoff('/staff.html', SUPPORT, { timezoneId: 'Europe/London', lang: 'en' });
  try {
    await waitVisible(st.page, '#queue-section');
    await st.page.fill('#f-provider', PROVIDER);
    await st.page.click('#filters button[type=submit]');
    const row = `#queue-body tr[data-refund="${open1.id}"]`;
    await waitVisible(st.page, row);
    assert.equal(await text(st.page, `${row} td:first-child time`), due);
    await openRefund(st.page, open1.id);
    assert.match(await text(st.page, '#detail dl.facts'), new RegExp(`Due\\s*${due.replace('+', '\\+')}`));
    assert.deepEqual(st.unexpected(), []);
  } finally { await st.close(); }
});
