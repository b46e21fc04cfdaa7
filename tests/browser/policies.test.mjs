// policies.test.mjs -- the staff page's "Policies" view (www/staff-policies.js)
// in headless Chromium through nginx -> refundd -> PostgreSQL: an admin
// opens a product type of this run, reads its history, edits a draft,
// simulates it (summary and the request it would change), cannot publish
// a draft that was changed after its simulation, confirms the publication
// with the simulation shown, and sees the new version and its field-by-field
// change in the history; in English; by keyboard; at 375 px; axe-clean.
// Other roles do not get the view.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BASE, SHOTS, DAY, nowS, iso, token, api, ok, open, signIn, waitText, text, audit, noSidewaysScroll } from './views-lib.mjs';

const RUN = randomUUID().replace(/-/g, '').slice(0, 10);
const TYPE = `bp_${RUN}`;
const ADMIN = token(`bp-admin-${RUN}`, 'admin');
const SYSTEM = token('billing-sync', 'system');

const POLICY = {
  refundable: true, window_rule: 'full', window_days: 30, window_requires_unused: false,
  after_window: 'prorata_usage', handling_fee_bps: 0, deduct_third_party: false, promo_refundable: true,
  monthly_limit: 0, payout_methods: ['original_route'], payout_default: 'original_route',
  payout_methods_after_window: ['balance'], payout_default_after_window: 'balance',
  review_sla_days: 3, auto_approve_max: 0, second_approval_over: 10000000, note: 'browser test',
};
const reqs = [];

before(async () => {
  await ok(api('PUT', `/api/v1/policies/${TYPE}`, { tok: ADMIN, body: POLICY }), 201);
  // paid 3 days ago (stays full), 25 days ago with a fifth used (flips at
  // 20 days), 40 days ago (already after the window)
  for (const [days, used] of [[3, 0], [25, 200], [40, 500]]) {
    const account = `bp-c-${RUN}-${days}`;
    const tok = token(account, 'customer');
    const orderId = `BP-${RUN}-${days}`;
    await ok(api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
      account, provider: 'aliyun', product_type: TYPE, product_name: '浏览器测试资源包',
      billing_mode: 'one_time', status: 'paid', amount_paid: 100000, currency: 'CNY',
      payment_method: 'alipay', paid_at: iso(nowS() - days * DAY - 3600), quantity: 1000, used_quantity: used } }), 201);
    const q = await ok(api('GET', `/api/v1/orders/${orderId}/quote`, { tok }), 200);
    const r = await ok(api('POST', '/api/v1/refunds', { tok, key: randomUUID(), body: {
      order_id: orderId, reason_code: 'changed_mind', payout_method: q.payout_default, expected_amount: q.amount } }), 201);
    reqs.push({ id: r.id, days });
  }
});

async function openType(page) {
  await page.locator(`button[data-action="policy"][data-type="${TYPE}"]`).click();
  await waitText(page, '#policy-h', new RegExp(`${TYPE} · 现行版本 1`));
}

test('an admin simulates a shorter window, sees the one request it changes, and publishes it after confirming', async () => {
  const s = await open('/staff.html');
  try {
    await signIn(s.page, ADMIN);
    await s.page.locator('#policies-section').waitFor({ state: 'visible' });
    await openType(s.page);
    assert.match(await text(s.page, 'ol.policy-history'), /首个版本/);
    assert.equal(await s.page.locator('#pd-publish').isDisabled(), true, 'nothing simulated yet');
    // money fields name their unit and a valid example
    assert.equal(await text(s.page, 'label[for="pd-second_approval_over"]'), '超过此金额须二次审批（CNY，如 123.45）');
    assert.match(await text(s.page, 'label[for="pd-auto_approve_max"]'), /^自动批准上限（CNY，如 123\.45；/);

    // not a number: marked invalid (aria-invalid="true"), said, focused; nothing sent
    const sims = [];
    s.page.on('request', (r) => { if (r.url().includes('/simulate')) sims.push(r.postDataJSON()); });
    await s.page.fill('#pd-window_days', 'abc');
    await s.page.click('#pd-simulate');
    await waitText(s.page, '#policies-section [role=alert]', /“无理由退款天数”须为不超过 9 位的非负整数/);
    assert.equal(await s.page.getAttribute('#pd-window_days', 'aria-invalid'), 'true');
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'pd-window_days');
    await s.page.fill('#pd-auto_approve_max', '1.234');
    await s.page.fill('#pd-window_days', '20');
    await s.page.click('#pd-simulate');
    await waitText(s.page, '#policies-section [role=alert]', /须为 CNY 金额，最多 2 位小数，如 123\.45/);
    assert.equal(await s.page.getAttribute('#pd-window_days', 'aria-invalid'), null);
    assert.equal(await s.page.getAttribute('#pd-auto_approve_max', 'aria-invalid'), 'true');
    assert.equal(sims.length, 0);
    await s.page.fill('#pd-auto_approve_max', '0');

    await s.page.click('#pd-simulate');
    await waitText(s.page, '#policy-sim', /模拟结果/);
    // the picked days are days in the reseller's zone (the stack's: Asia/Shanghai, UTC+8)
    const from = await s.page.inputValue('#pd-from'), to = await s.page.inputValue('#pd-to');
    const zone = (await (await fetch(`${BASE}/api/v1/config`)).json()).timezone;
    assert.equal(zone, 'Asia/Shanghai');
    assert.equal(to, new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date()));
    const dayBefore = (d) => new Date(Date.parse(`${d}T00:00:00Z`) - DAY * 1000).toISOString().slice(0, 10);
    assert.equal(sims.at(-1).from, `${dayBefore(from)}T16:00:00Z`);
    assert.equal(sims.at(-1).to, `${to}T16:00:00Z`);
    assert.equal(await text(s.page, '#policy-sim .sim-range'), `${from} — ${to}`);
    assert.equal(await text(s.page, '.sim-summary dd[data-key="requests"]'), '3');
    assert.equal(await text(s.page, '.sim-summary dd[data-key="changed"]'), '1');
    assert.match(await text(s.page, '.sim-summary dd[data-key="delta"][data-currency="CNY"]'), /^-200\.00 CNY$/);
    const flipped = reqs.find((r) => r.days === 25).id;
    assert.deepEqual(await s.page.locator('table.sim-items tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.refund)),
      [String(flipped)]);
    assert.match(await text(s.page, `table.sim-items tr[data-refund="${flipped}"]`), /全额退款 · 1,000\.00 CNY.*部分退款 · 800\.00 CNY/);
    assert.equal(await s.page.locator('#pd-publish').isDisabled(), false);

    // an edit after the simulation: publishing waits for a new one
    await s.page.fill('#pd-handling_fee_bps', '100');
    assert.equal(await s.page.locator('#pd-publish').isDisabled(), true);
    await waitText(s.page, '#policy-sim', /草稿已修改，模拟结果已过期/);
    // "More changes" still pages the simulation shown, as it was simulated,
    // and it stays stale (regression: the button did nothing once stale).
    // One page here holds every change, so the page's cursor is made up.
    const simulated = sims.at(-1);
    await s.page.route('**/simulate?*', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), next_cursor: '1' } });
    }, { times: 1 });
    await s.page.fill('#pd-handling_fee_bps', '0');
    await s.page.click('#pd-simulate');
    await s.page.locator('#pd-more').waitFor({ state: 'visible' });
    await s.page.fill('#pd-handling_fee_bps', '100');
    await waitText(s.page, '#policy-sim', /模拟结果已过期/);
    const before = sims.length;
    await s.page.click('#pd-more');
    await s.page.locator('#pd-more').waitFor({ state: 'detached' });
    assert.equal(sims.length, before + 1, 'the next page was asked for');
    assert.deepEqual(sims.at(-1), simulated, 'the simulated draft, not the edited one');
    assert.equal(await s.page.locator('#pd-publish').isDisabled(), true, 'still stale');
    assert.match(await text(s.page, '#policy-sim'), /模拟结果已过期/);
    await s.page.fill('#pd-handling_fee_bps', '0');
    await s.page.fill('#pd-note', '窗口改为 20 天');
    await s.page.click('#pd-simulate');
    await waitText(s.page, '.sim-summary dd[data-key="changed"]', /^1$/);

    // the confirmation shows the simulation; cancel, then publish
    await s.page.click('#pd-publish');
    await s.page.locator('#policy-confirm').waitFor({ state: 'visible' });
    assert.match(await text(s.page, '#policy-confirm'), new RegExp(`将把 ${TYPE} 的政策发布为版本 2`));
    assert.equal(await text(s.page, '#policy-confirm dd[data-key="changed"]'), '1');
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'policy-confirm-h');
    await s.page.click('#pd-cancel');
    assert.equal(await s.page.locator('#policy-confirm').isHidden(), true);
    const v1 = await ok(api('GET', `/api/v1/policies/${TYPE}`, { tok: ADMIN }), 200);
    assert.equal(v1.version, 1, 'cancel published nothing');

    await s.page.click('#pd-publish');
    await s.page.click('#pd-confirm');
    await waitText(s.page, '#policies-section .msg-ok', new RegExp(`${TYPE} 已发布版本 2`));
    const v2 = await ok(api('GET', `/api/v1/policies/${TYPE}`, { tok: ADMIN }), 200);
    assert.equal(v2.version, 2);
    assert.equal(v2.window_days, 20);
    assert.equal(v2.note, '窗口改为 20 天');
    await waitText(s.page, '#policy-h', /现行版本 2/);
    assert.equal(await text(s.page, 'ol.policy-history li[data-version="2"] li[data-field="window_days"]'), '无理由退款天数：30 → 20');
    assert.equal(await s.page.locator('ol.policy-history li[data-version="2"] ul.changes > li').count(), 1);
    await s.page.screenshot({ path: `${SHOTS}/staff-policies-zh.png`, fullPage: true });

    await s.page.click('#lang-toggle');
    await waitText(s.page, '#policies-h', /Refund policies/);
    assert.equal(await text(s.page, 'ol.policy-history li[data-version="2"] li[data-field="window_days"]'), 'No-reason window (days): 30 → 20');
    assert.match(await text(s.page, '#pd-simulate'), /Simulate/);
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

// The approval limits are minor units of limits_currency (sql/022): the
// draft picks the currency, the money labels name it and the amounts are
// read in it; the history shows each version's limits in its own currency.
test('approval limits in yen: the currency is picked, labels and parsing follow it, the history shows both', async () => {
  const type = `bq_${RUN}`;
  await ok(api('PUT', `/api/v1/policies/${type}`, { tok: ADMIN, body: { ...POLICY, auto_approve_max: 5000 } }), 201);
  const s = await open('/staff.html');
  try {
    await signIn(s.page, ADMIN);
    await s.page.locator('#policies-section').waitFor({ state: 'visible' });
    await s.page.locator(`button[data-action="policy"][data-type="${type}"]`).click();
    await waitText(s.page, '#policy-h', new RegExp(`${type} · 现行版本 1`));
    assert.equal(await s.page.inputValue('#pd-limits_currency'), 'CNY');
    // every currency refundd knows is offered, none it does not
    const known = (await (await fetch(`${BASE}/api/v1/config`)).json()).currencies.map((c) => c.code);
    assert.ok(known.includes('OMR') && known.includes('JPY'));
    assert.deepEqual(await s.page.$$eval('#pd-limits_currency option', (os) => os.map((o) => o.value)), known);
    assert.equal(await s.page.inputValue('#pd-auto_approve_max'), '50.00');
    await s.page.selectOption('#pd-limits_currency', 'JPY');
    assert.match(await text(s.page, 'label[for="pd-auto_approve_max"]'), /^自动批准上限（JPY，如 12345；/);
    assert.equal(await text(s.page, 'label[for="pd-second_approval_over"]'), '超过此金额须二次审批（JPY，如 12345）');
    // "50.00" was typed for yuan: yen have no decimals
    await s.page.click('#pd-simulate');
    await waitText(s.page, '#policies-section [role="alert"]', /JPY/);
    assert.equal(await s.page.getAttribute('#pd-auto_approve_max', 'aria-invalid'), 'true');
    await s.page.fill('#pd-auto_approve_max', '8000');
    await s.page.fill('#pd-second_approval_over', '100000');
    // a language switch keeps the picked currency, and the labels name it
    await s.page.click('#lang-toggle');
    await waitText(s.page, 'label[for="pd-second_approval_over"]', /^Second approval above \(JPY, e\.g\. 12345\)$/);
    assert.equal(await s.page.inputValue('#pd-limits_currency'), 'JPY');
    await s.page.click('#lang-toggle');
    await waitText(s.page, 'label[for="pd-second_approval_over"]', /^超过此金额须二次审批（JPY/);
    await s.page.click('#pd-simulate');
    await s.page.locator('#policy-sim').waitFor({ state: 'visible' });
    await s.page.click('#pd-publish');
    await s.page.click('#pd-confirm');
    await waitText(s.page, '#policy-h', /现行版本 2/);
    const v2 = await ok(api('GET', `/api/v1/policies/${type}`, { tok: ADMIN }), 200);
    assert.equal(v2.limits_currency, 'JPY');
    assert.equal(v2.auto_approve_max, 8000);
    assert.equal(v2.second_approval_over, 100000);
    const history = (f) => text(s.page, `ol.policy-history li[data-version="2"] li[data-field="${f}"]`);
    assert.match(await history('limits_currency'), /CNY → JPY$/);
    assert.match(await history('auto_approve_max'), /50\.00.*→.*8,000/);
    // the new current version's draft starts in yen
    assert.equal(await s.page.inputValue('#pd-limits_currency'), 'JPY');
    assert.equal(await s.page.inputValue('#pd-auto_approve_max'), '8000');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('by keyboard at 375 px: simulate and reach the result; nothing scrolls sideways; axe finds nothing', async () => {
  const s = await open('/staff.html', { width: 375, height: 800, forAudit: true, lang: 'en' });
  try {
    await signIn(s.page, ADMIN);
    const open = s.page.locator(`button[data-action="policy"][data-type="${TYPE}"]`);
    await open.focus();
    await s.page.keyboard.press('Enter');
    await waitText(s.page, '#policy-h', new RegExp(`${TYPE} · current version`));
    await s.page.focus('#pd-window_days');
    await s.page.keyboard.press('Control+A');
    await s.page.keyboard.type('1');
    await s.page.focus('#pd-simulate');
    await s.page.keyboard.press('Enter');
    await waitText(s.page, '#policy-sim', /Simulation/);
    assert.equal(await s.page.evaluate(() => document.activeElement.textContent), 'Simulation');
    await noSidewaysScroll(s.page, '#policies-section');
    await s.page.screenshot({ path: `${SHOTS}/staff-policies-en-375.png`, fullPage: true });
    assert.deepEqual(await audit(s.page, '#policies-section'), []);
  } finally {
    await s.close();
  }
});

test('other roles do not get the Policies view', async () => {
  for (const role of ['supervisor', 'support', 'finance']) {
    const s = await open('/staff.html');
    try {
      await signIn(s.page, token(`bp-${role}-${RUN}`, role));
      assert.equal(await s.page.locator('#policies-section').isHidden(), true, role);
    } finally {
      await s.close();
    }
  }
});
