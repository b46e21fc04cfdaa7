// claims.test.mjs -- the provider side on the staff page (DESIGN.md §8), in
// headless Chromium through nginx -> refundd -> PostgreSQL: the margin next
// to the approve button (highlighted when the reseller loses money, plain
// when it does not), and the finance view: the claims to file, marking one
// filed (the provider picked from a list: the desk's providers and those
// the API names in the claims), importing a statement through the file
// picker with the matching result shown line by line, and the margin report. Every test makes its
// own provider, orders and requests under ids of this run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BASE, SHOTS, DAY, nowS, iso, token, api, ok, launch, waitText, text, signIn, openRefund, watchedPage } from './lib.mjs';

const RUN = randomUUID().replace(/-/g, '').slice(0, 10);
const PROV = `bc_${RUN}`;
const SYSTEM = token('billing-sync', 'system');
const SUPPORT = token(`bc-support-${RUN}`, 'support');
const FINANCE = token(`bc-finance-${RUN}`, 'finance');
const ADMIN = token(`bc-admin-${RUN}`, 'admin');
const SUPERVISOR = token(`bc-lead-${RUN}`, 'supervisor');

let seq = 0;

/* A submitted request for a cloud server sold for 1,200.00 (of currency)
 * and bought upstream for cost: { id, orderId, upstreamRef }. */
async function newRequest(cost, currency = 'CNY') {
  const account = `bc-cust-${RUN}-${++seq}`;
  const tok = token(account, 'customer');
  const orderId = `BC-${RUN}-${seq}`;
  const upstreamRef = `i-bc-${RUN}-${seq}`;
  const paid = nowS() - 2 * DAY;
  await ok(api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
    account, provider: PROV, product_type: 'cloud_server', product_name: `追偿测试 ECS ${seq}`,
    billing_mode: 'subscription', status: 'paid', amount_paid: 120000, currency,
    payment_method: 'alipay', paid_at: iso(paid), period_start: iso(paid), period_end: iso(paid + 365 * DAY),
    upstream_ref: upstreamRef, upstream_cost: cost, upstream_voucher: 0, upstream_paid_at: iso(paid) } }), 201);
  const r = await ok(api('POST', '/api/v1/refunds', { tok, key: randomUUID(), body: {
    order_id: orderId, reason_code: 'bought_by_mistake', payout_method: 'original_route',
    expected_amount: 120000 } }), 201);
  return { id: r.id, orderId, upstreamRef };
}

async function approved(cost, currency = 'CNY') {
  const r = await newRequest(cost, currency);
  await ok(api('POST', `/api/v1/refunds/${r.id}/claim`, { tok: SUPPORT }), 200);
  let a = await ok(api('POST', `/api/v1/refunds/${r.id}/approve`, { tok: SUPPORT, body: {} }), 200);
  // a request in another currency than the limits' always needs a second approver
  if (a.status === 'awaiting_second_approval')
    a = await ok(api('POST', `/api/v1/refunds/${r.id}/approve`, { tok: SUPERVISOR, body: {} }), 200);
  assert.equal(a.status, 'approved');
  return { ...r, claimId: a.provider_figures.claim.id };
}

let browser;
before(async () => {
  browser = await launch();
  await ok(api('PUT', `/api/v1/provider-policies/${PROV}/cloud_server`, { tok: ADMIN, body: {
    refundable: true, window_rule: 'full', window_days: 5, after_window: 'prorata_time', fee_bps: 0,
    vouchers_refundable: false } }), 201);
});
after(async () => { await browser?.close(); });

async function open(lang) {
  const { context, page, problems } = await watchedPage(browser, { lang, viewport: { width: 1280, height: 1000 } });
  assert.equal((await page.goto(`${BASE}/staff.html`)).status(), 200);
  return { page, problems, close: () => context.close() };
}

test('support sees the provider refund and the margin next to the approve button, highlighted as a loss', async () => {
  const loss = await newRequest(100000);   // the provider returns 1,000.00 of the customer's 1,200.00
  const gain = await newRequest(130000);   // bought for more than sold: no loss
  const s = await open('en');
  try {
    await signIn(s.page, SUPPORT);
    await s.page.fill('#f-provider', PROV);
    await s.page.press('#f-provider', 'Enter');
    await openRefund(s.page, loss.id);
    // Claim it first: the approve panel shows for a request in review.
    await s.page.click('#detail button:has-text("Claim")').catch(() => {});
    await s.page.locator('#detail form[data-form="approve"]').waitFor();
    const box = s.page.locator('#detail form[data-form="approve"] .actions #provider-margin');
    await box.waitFor();
    assert.ok(await box.evaluate((el) => el.classList.contains('loss')), 'a loss is highlighted');
    assert.match(await text(s.page, '#pm-expected'), /1,000\.00 CNY/);
    assert.match(await text(s.page, '#pm-margin'), /-200\.00 CNY/);
    assert.match(await text(s.page, '#provider-margin'), /Loss/);
    // The button and the figures sit side by side.
    const sameRow = await s.page.evaluate(() => {
      const b = document.querySelector('#detail form[data-form="approve"] .actions button[type=submit]').getBoundingClientRect();
      const m = document.querySelector('#provider-margin').getBoundingClientRect();
      return m.left >= b.right && m.top < b.bottom;
    });
    assert.ok(sameRow, 'the margin is next to the approve button');
    await s.page.screenshot({ path: `${SHOTS}/claims-margin-loss.png`, fullPage: true });

    await s.page.click('#detail-close');
    await openRefund(s.page, gain.id);
    await s.page.click('#detail button:has-text("Claim")').catch(() => {});
    const box2 = s.page.locator('#detail form[data-form="approve"] #provider-margin');
    await box2.waitFor();
    assert.ok(!(await box2.evaluate((el) => el.classList.contains('loss'))), 'no loss, no highlight');
    assert.match(await text(s.page, '#pm-margin'), /100\.00 CNY/);
    assert.deepEqual(s.problems, []);
  } finally { await s.close(); }
});

test('finance: claims to file, mark one filed, import a statement with the file picker, the margin report', async () => {
  const a = await approved(100000);
  const b = await approved(100000);
  const s = await open();   // Chinese
  try {
    await signIn(s.page, FINANCE);
    await s.page.locator('#claims-finance').waitFor({ state: 'visible' });
    // The view's own strings are applied (no key shows through).
    assert.match(await text(s.page, '#claims-h'), /^服务商追偿$/);
    assert.match(await text(s.page, '#stmt-form'), /对账单文件/);
    assert.ok(!/\b(claims|stmt|margin|cstatus)\.[a-z_.]+/.test(await text(s.page, '#claims-section')),
      await text(s.page, '#claims-section'));
    // The provider is picked, not typed: every provider, the desk's by
    // name, and this run's, which the API names in the claims it lists.
    const options = (sel) => s.page.$$eval(`${sel} option`, (os) => os.map((o) => [o.value, o.textContent.trim()]));
    assert.equal(await s.page.evaluate(() => document.querySelector('#c-provider').tagName), 'SELECT');
    assert.equal(await s.page.evaluate(() => document.querySelector('#stmt-provider').tagName), 'SELECT');
    await s.page.locator(`#c-provider option[value="${PROV}"]`).waitFor({ state: 'attached' });
    const filter = await options('#c-provider');
    assert.deepEqual(filter.slice(0, 3), [['', '全部服务商'], ['aliyun', '阿里云'], ['huaweicloud', '华为云']]);
    assert.deepEqual(filter.filter(([v]) => v === PROV), [[PROV, PROV]]);
    assert.equal(await s.page.inputValue('#c-provider'), '', 'all providers at first');
    const stmt = await options('#stmt-provider');
    assert.deepEqual(stmt.slice(0, 2), [['aliyun', '阿里云'], ['huaweicloud', '华为云']]);
    assert.ok(stmt.some(([v]) => v === PROV) && !stmt.some(([v]) => v === ''), JSON.stringify(stmt));
    assert.equal(await s.page.inputValue('#stmt-provider'), 'aliyun');
    assert.equal(await text(s.page, 'label[for="c-provider"]'), '服务商');
    assert.equal(await text(s.page, 'label[for="stmt-provider"]'), '服务商');
    await s.page.selectOption('#c-provider', PROV);
    await s.page.click('#claims-filter button[type=submit]');
    await s.page.locator(`#claims-body tr[data-claim="${a.claimId}"]`).waitFor();
    await s.page.locator(`#claims-body tr[data-claim="${b.claimId}"]`).waitFor();
    assert.match(await text(s.page, `#claims-body tr[data-claim="${a.claimId}"]`), /1,000\.00 CNY.*待提交/);
    // An empty reference is refused in the page; then filed.
    await s.page.click(`button[data-action="filed"][data-claim="${b.claimId}"]`);
    await waitText(s.page, '#claims-alert', /请填写服务商单号/);
    await s.page.fill(`#claim-ref-${b.claimId}`, `RF-${RUN}`);
    await s.page.click(`button[data-action="filed"][data-claim="${b.claimId}"]`);
    await waitText(s.page, '#claims-alert', new RegExp(`#${b.claimId}`));
    const claimB = await ok(api('GET', `/api/v1/provider-claims?provider=${PROV}&status=filed`, { tok: FINANCE }), 200);
    assert.deepEqual(claimB.items.map((k) => [k.id, k.claim_ref]), [[b.claimId, `RF-${RUN}`]]);
    // the same reference for another claim: 409 claim_ref_taken, in Chinese, the field marked and focused
    await s.page.fill(`#claim-ref-${a.claimId}`, `RF-${RUN}`);
    await s.page.click(`button[data-action="filed"][data-claim="${a.claimId}"]`);
    await waitText(s.page, '#claims-alert', /该服务商已有使用此索赔编号的索赔/);
    assert.equal(await s.page.locator('#claims-alert .problem-detail').count(), 0);
    assert.equal(await s.page.evaluate(() => document.activeElement.id), `claim-ref-${a.claimId}`);
    assert.equal(await s.page.getAttribute(`#claim-ref-${a.claimId}`, 'aria-invalid'), 'true');

    // The statement: a by upstream_ref in full, b by claim_ref with less, an unknown and an invalid line.
    const csv = '\uFEFFref,amount,fee\r\n'
      + `${a.upstreamRef},1000.00,0\r\n`
      + `RF-${RUN},900.00,10.00\r\n`
      + `nobody-${RUN},1.00,0\r\n`
      + `${a.upstreamRef},abc,0\r\n`;
    await s.page.selectOption('#stmt-provider', PROV);
    await s.page.setInputFiles('#stmt-file', { name: 'statement.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await s.page.click('#stmt-form button[type=submit]');
    await waitText(s.page, '#stmt-summary', /已导入 4 行：匹配 2，金额不符 1，未知单号 1，重复 0，无效 1/);
    assert.match(await text(s.page, '#stmt-result [data-result="amount_mismatch"]'), /第 3 行.*预计 1,000\.00 CNY，实际 900\.00 CNY/);
    assert.match(await text(s.page, '#stmt-result [data-result="unknown_ref"]'), new RegExp(`第 4 行 · nobody-${RUN}`));
    // the line's reason in the page's language, not refundd's code
    assert.match(await text(s.page, '#stmt-result [data-result="invalid"]'), /第 5 行 · 金额无效/);
    // only the categories with lines are listed (no empty "duplicate" list, no "null")
    assert.deepEqual(await s.page.$$eval('#stmt-result [data-result]', (els) => els.map((e) => e.dataset.result)),
      ['matched', 'amount_mismatch', 'unknown_ref', 'invalid']);
    assert.doesNotMatch(await text(s.page, '#stmt-result'), /null|undefined/);
    await s.page.screenshot({ path: `${SHOTS}/claims-statement.png`, fullPage: true });
    const stored = await ok(api('GET', `/api/v1/provider-claims?provider=${PROV}`, { tok: FINANCE }), 200);
    assert.deepEqual(stored.items.map((k) => k.status).sort(), ['partially_recovered', 'recovered']);
    // A broken file: the problem is shown and nothing changes.
    await s.page.setInputFiles('#stmt-file', { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('ref,amount\n"x,1\n') });
    await s.page.click('#stmt-form button[type=submit]');
    await waitText(s.page, '#claims-alert', /格式错误/);

    // The report, per provider: the row of this run, once the new report
    // replaced the one loaded at sign-in (which had nothing recovered).
    await s.page.click('#margin-form button[type=submit]');
    const row = s.page.locator(`#margin-body tr[data-key="${PROV}"]`);
    await waitText(s.page, `#margin-body tr[data-key="${PROV}"]`, /2,000\.00\s*CNY.*1,900\.00\s*CNY.*10\.00\s*CNY/s);
    assert.equal(await row.getAttribute('data-currency'), 'CNY');   // a row is a key and a currency
    // on a phone the rows stack: each figure keeps its column's name
    await s.page.setViewportSize({ width: 375, height: 800 });
    assert.equal(await s.page.evaluate((k) => getComputedStyle(document.querySelector(
      `#margin-body tr[data-key="${k}"] td[data-col="loss"]`), '::before').content, PROV), '"净亏损: "');
    assert.equal(await s.page.locator('#margin-table thead').isVisible(), false);
    await s.page.setViewportSize({ width: 1280, height: 800 });
    // By product type, each row is named as the pages name it elsewhere (a
    // provider unknown to the pages, as this run's, keeps its code above).
    assert.equal(await text(s.page, `#margin-body tr[data-key="${PROV}"] th`), PROV);
    await s.page.selectOption('#m-group', 'product_type');
    await s.page.click('#margin-form button[type=submit]');
    await waitText(s.page, '#margin-body tr[data-key="cloud_server"] th', /^云服务器（包年包月）$/);
    await s.page.selectOption('#m-group', 'provider');
    await s.page.click('#margin-form button[type=submit]');
    await waitText(s.page, `#margin-body tr[data-key="${PROV}"]`, /2,000\.00/);
    // In English the providers are named in English, and what was picked stays picked.
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#claims-h', /^Provider claims$/);
    assert.deepEqual((await options('#c-provider')).slice(0, 3),
      [['', 'All providers'], ['aliyun', 'Alibaba Cloud'], ['huaweicloud', 'Huawei Cloud']]);
    assert.deepEqual((await options('#stmt-provider')).slice(0, 2), [['aliyun', 'Alibaba Cloud'], ['huaweicloud', 'Huawei Cloud']]);
    assert.equal(await s.page.inputValue('#c-provider'), PROV);
    assert.equal(await s.page.inputValue('#stmt-provider'), PROV);
    // the next person starts again from all providers
    await s.page.click('#signout');
    await signIn(s.page, FINANCE);
    await s.page.locator('#claims-finance').waitFor({ state: 'visible' });
    assert.equal(await s.page.inputValue('#c-provider'), '');
    assert.equal(await s.page.inputValue('#stmt-provider'), 'aliyun');
    assert.deepEqual(s.problems.filter((p) => !/status of 4\d\d/.test(p)), []);
  } finally { await s.close(); }
});

/* The statement's currency is picked (refundd's currencies, CNY first):
 * its amounts are read in it, and a line whose claim is in another one
 * is refused as currency_mismatch, said in the page's language. */
test('finance imports a statement in the currency picked; a wrong one is said in words, broken files name their line or column', async () => {
  const u = await approved(100000, 'USD');
  const s = await open('en');
  try {
    await signIn(s.page, FINANCE);
    await s.page.locator('#claims-finance').waitFor({ state: 'visible' });
    assert.equal(await text(s.page, 'label[for="stmt-currency"]'), 'Currency');
    const currencies = await s.page.$$eval('#stmt-currency option', (os) => os.map((o) => o.value));
    assert.equal(currencies[0], 'CNY');
    assert.ok(currencies.includes('USD') && currencies.includes('JPY'), JSON.stringify(currencies));
    assert.equal(await s.page.inputValue('#stmt-currency'), 'CNY', 'the server\'s default at first');
    await s.page.locator(`#stmt-provider option[value="${PROV}"]`).waitFor({ state: 'attached' });
    await s.page.selectOption('#stmt-provider', PROV);

    /* Imports the file and answers the query the page sent. */
    const importFile = async (csv) => {
      await s.page.setInputFiles('#stmt-file', { name: 'statement.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      const [req] = await Promise.all([
        s.page.waitForRequest((r) => r.url().includes('/api/v1/provider-claims/statements')),
        s.page.click('#stmt-form button[type=submit]')]);
      return new URL(req.url()).searchParams;
    };
    const csv = `ref,amount,fee\r\n${u.upstreamRef},1000.00,0\r\n`;
    const asCny = await importFile(csv);
    assert.deepEqual([asCny.get('provider'), asCny.get('currency')], [PROV, 'CNY']);
    await waitText(s.page, '#stmt-summary', /Imported 1 lines: 0 matched, 0 amount mismatches, 0 unknown, 0 duplicates, 1 invalid/);
    assert.match(await text(s.page, '#stmt-result [data-result="invalid"]'),
      /Line 2 · the claim's currency is not the one the statement was imported in/);
    assert.deepEqual(await s.page.$$eval('#stmt-result [data-result]', (els) => els.map((e) => e.dataset.result)), ['invalid']);
    assert.doesNotMatch(await text(s.page, '#stmt-result'), /null|currency_mismatch/);

    await s.page.selectOption('#stmt-currency', 'USD');
    const asUsd = await importFile(csv);
    assert.equal(asUsd.get('currency'), 'USD');
    await waitText(s.page, '#stmt-summary', /Imported 1 lines: 1 matched/);
    assert.match(await text(s.page, '#stmt-result [data-result="matched"]'), /Line 2 · .*Recovered 1,000\.00 USD/);
    assert.deepEqual(await s.page.$$eval('#stmt-result [data-result]', (els) => els.map((e) => e.dataset.result)), ['matched']);
    const claim = await ok(api('GET', `/api/v1/provider-claims?provider=${PROV}&status=recovered`, { tok: FINANCE }), 200);
    assert.ok(claim.items.some((k) => k.id === u.claimId && k.currency === 'USD'), JSON.stringify(claim.items));

    // A broken file names where: the line of a CSV error, the column missing, in both languages.
    await importFile('ref,amount\nok,1\nx,"1\n');
    await waitText(s.page, '#claims-alert', /broken near line 3/);
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#claims-alert', /第 3 行附近/);
    assert.doesNotMatch(await text(s.page, '#claims-alert'), /\{line\}/);
    await importFile('ref,amt\nx,1\n');
    await waitText(s.page, '#claims-alert', /缺少配置的列“amount”/);
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#claims-alert', /lacks the configured column "amount"/);

    // the next person starts from CNY again
    await s.page.click('#signout');
    await signIn(s.page, FINANCE);
    await s.page.locator('#claims-finance').waitFor({ state: 'visible' });
    assert.equal(await s.page.inputValue('#stmt-currency'), 'CNY');
    assert.deepEqual(s.problems.filter((p) => !/status of 4\d\d/.test(p)), []);
  } finally { await s.close(); }
});

test('support does not get the finance view; supervisors get the report only', async () => {
  const s = await open('en');
  try {
    await signIn(s.page, SUPPORT);
    assert.equal(await s.page.locator('#claims-section').isVisible(), false);
    await s.page.click('#signout');
    await signIn(s.page, token(`bc-lead-${RUN}`, 'supervisor'));
    await s.page.locator('#margin-table, #margin-empty').first().waitFor({ state: 'visible' });
    assert.equal(await s.page.locator('#claims-finance').isVisible(), false);
  } finally { await s.close(); }
});

/* The desk's providers are refundd's [provider.NAME] sections, served by
 * GET /api/v1/config: a provider added there (here: added on the way to
 * the page) is offered by the queue filter, the claims filter and the
 * statement's picker, named by its code where the page has no name. */
test('the provider pickers follow the configuration refundd serves', async () => {
  const served = (await (await fetch(`${BASE}/api/v1/config`)).json()).providers;
  assert.deepEqual(served, ['aliyun', 'huaweicloud'], 'conf/refundd.conf names these two');
  const { context, page, problems } = await watchedPage(browser, { lang: 'en', viewport: { width: 1280, height: 1000 } });
  try {
    await page.route('**/api/v1/config', async (route) => {
      const real = await route.fetch();
      route.fulfill({ response: real, json: { ...(await real.json()), providers: [...served, 'tencentcloud'] } });
    });
    assert.equal((await page.goto(`${BASE}/staff.html`)).status(), 200);
    await signIn(page, FINANCE);
    await page.locator('#claims-finance').waitFor({ state: 'visible' });
    const values = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value).filter(Boolean));
    assert.deepEqual((await values('#providers')).slice(0, 3), ['aliyun', 'huaweicloud', 'tencentcloud']);
    assert.deepEqual((await values('#stmt-provider')).slice(0, 3), ['aliyun', 'huaweicloud', 'tencentcloud']);
    assert.deepEqual((await values('#c-provider')).slice(0, 3), ['aliyun', 'huaweicloud', 'tencentcloud']);
    assert.equal(await page.$eval('#stmt-provider option[value="tencentcloud"]', (o) => o.textContent.trim()), 'tencentcloud');
    assert.equal(await page.$eval('#stmt-provider option[value="aliyun"]', (o) => o.textContent.trim()), 'Alibaba Cloud');
    assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);
  } finally { await context.close(); }
});
