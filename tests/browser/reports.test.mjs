// reports.test.mjs -- the staff page's "Reports" view (www/staff-reports.js)
// in headless Chromium through nginx -> refundd -> PostgreSQL: a supervisor
// picks a range and a grouping, reads the table (this run's provider row
// with the counts made here) and the SVG bar chart drawn by the page (one
// bar per row, its text alternative), switches the chart's measure,
// downloads the CSV; in English; by keyboard at 375 px with nothing
// scrolling sideways and the chart's text as large as on a desktop (drawn
// at its box's width, not scaled down); axe-clean; finance gets it,
// support does not.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BASE, SHOTS, DAY, nowS, iso, token, api, ok, open, signIn, waitText, text, audit, noSidewaysScroll } from './views-lib.mjs';

const RUN = randomUUID().replace(/-/g, '').slice(0, 10);
const PROVIDER = `br_${RUN}`;
const SYSTEM = token('billing-sync', 'system');
const SUPPORT = token(`br-agent-${RUN}`, 'support');
const SUPERVISOR = token(`br-lead-${RUN}`, 'supervisor');

before(async () => {
  // three requests of this run's provider: one rejected, one approved, one open
  const ids = [];
  for (let i = 1; i <= 3; i++) {
    const account = `br-c-${RUN}-${i}`;
    const tok = token(account, 'customer');
    const orderId = `BR-${RUN}-${i}`;
    await ok(api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
      account, provider: PROVIDER, product_type: 'api_credits', product_name: '报表测试资源包',
      billing_mode: 'one_time', status: 'paid', amount_paid: 10000 * i, currency: 'CNY',
      payment_method: 'alipay', paid_at: iso(nowS() - 2 * DAY), quantity: 100 } }), 201);
    const q = await ok(api('GET', `/api/v1/orders/${orderId}/quote`, { tok }), 200);
    ids.push((await ok(api('POST', '/api/v1/refunds', { tok, key: randomUUID(), body: {
      order_id: orderId, reason_code: 'bought_by_mistake', payout_method: q.payout_default,
      expected_amount: q.amount } }), 201)).id);
  }
  // and one of a provider the pages know by name (Alibaba Cloud)
  {
    const account = `br-c-${RUN}-aliyun`;
    const tok = token(account, 'customer');
    const orderId = `BR-${RUN}-aliyun`;
    await ok(api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
      account, provider: 'aliyun', product_type: 'api_credits', product_name: '报表测试资源包',
      billing_mode: 'one_time', status: 'paid', amount_paid: 10000, currency: 'CNY',
      payment_method: 'alipay', paid_at: iso(nowS() - 2 * DAY), quantity: 100 } }), 201);
    const q = await ok(api('GET', `/api/v1/orders/${orderId}/quote`, { tok }), 200);
    await ok(api('POST', '/api/v1/refunds', { tok, key: randomUUID(), body: {
      order_id: orderId, reason_code: 'bought_by_mistake', payout_method: q.payout_default,
      expected_amount: q.amount } }), 201);
  }
  for (const id of ids.slice(0, 2)) await ok(api('POST', `/api/v1/refunds/${id}/claim`, { tok: SUPPORT }), 200);
  await ok(api('POST', `/api/v1/refunds/${ids[0]}/reject`, { tok: SUPPORT, body: { reason_code: 'other', note: '测试' } }), 200);
  await ok(api('POST', `/api/v1/refunds/${ids[1]}/approve`, { tok: SUPPORT, body: {} }), 200);
});

// The chart's text as the eye gets it: the smallest label or value on
// screen (its font size times the drawing's scale), the drawing's width,
// and any text drawn past the chart's right edge (cut off).
async function chartText(page) {
  return page.evaluate(() => {
    const svg = document.querySelector('svg.bar-chart');
    const scale = svg.getScreenCTM().a;
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('.bar-label, .bar-value')];
    return {
      width: Math.round(box.width),
      smallest: Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * scale)),
      outside: texts.filter((t) => t.getBoundingClientRect().right > box.right + 0.5).map((t) => t.textContent),
    };
  });
}
// Readable: no text under 12 px on screen, none cut off at the edge.
async function readableChart(page, width) {
  await page.setViewportSize({ width, height: 900 });
  // two frames: a chart drawn again on a resize has been drawn by then
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction((w) => {   // the chart fills its box, and the box the screen
    const svg = document.querySelector('svg.bar-chart');
    const fig = svg?.parentElement;
    return svg && Math.abs(svg.getBoundingClientRect().width - fig.clientWidth) < 1 && fig.getBoundingClientRect().right <= w;
  }, width);
  const c = await chartText(page);
  assert.ok(c.smallest >= 12, `at ${width} px the chart's smallest text is ${c.smallest.toFixed(1)} px on screen`);
  assert.deepEqual(c.outside, [], `at ${width} px, cut off at the chart's edge`);
  return c;
}

async function show(page, group) {
  await page.selectOption('#rep-group', group);
  await page.click('#rep-show');
  await page.locator(`#report-table tr[data-key="${PROVIDER}"]`).waitFor();
}

test('a supervisor reads the report by provider: table, chart, measure, CSV; then in English', async () => {
  const s = await open('/staff.html', { width: 1280 });
  try {
    await signIn(s.page, SUPERVISOR);
    await s.page.locator('#reports-section').waitFor({ state: 'visible' });
    await waitText(s.page, '#reports-h', /退款报表/);
    // the stack's zone (Asia/Shanghai): today there, and the caption names the days picked
    await s.page.locator('#report-table caption').waitFor();
    const zone = (await (await fetch(`${BASE}/api/v1/config`)).json()).timezone;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date());
    assert.equal(await s.page.inputValue('#rep-to'), today);
    assert.match(await text(s.page, '#report-table caption'),
      new RegExp(`${await s.page.inputValue('#rep-from')} 至 ${today}$`));
    // by reason at 1280 px: a row's name stays on one line (CJK could break per character)
    await s.page.selectOption('#rep-group', 'reason_code');
    await s.page.click('#rep-show');
    await waitText(s.page, '#report-table caption', /退款原因/);
    // measured once every row is laid out: the answer to the click may
    // replace the table loaded at sign-in (the same grouping) meanwhile, and
    // rows measured then have no boxes at all (seen on loaded machines)
    const lines = await (await s.page.waitForFunction(() => {
      const ths = [...document.querySelectorAll('#report-table tbody th[scope=row]')];
      const out = ths.map((th) => {
        const range = document.createRange();
        range.selectNodeContents(th);
        return [th.textContent, new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size];
      });
      return out.length && out.every(([, n]) => n > 0) ? out : null;
    })).jsonValue();
    assert.ok(lines.some(([k]) => k === '误购'), JSON.stringify(lines));
    assert.deepEqual(lines.filter(([, n]) => n !== 1), [], 'each row name on one line');
    await show(s.page, 'provider');
    const cell = (col) => text(s.page, `#report-table tr[data-key="${PROVIDER}"] td[data-col="${col}"]`);
    assert.equal(await cell('submitted'), '3');
    assert.equal(await cell('approved'), '1');
    assert.equal(await cell('rejected'), '1');
    assert.equal(await cell('amount_requested'), '600.00 CNY');
    assert.equal(await cell('amount_approved'), '200.00 CNY');
    assert.equal(await cell('approval_rate'), '50.0%');
    assert.equal(await cell('currency'), 'CNY');   // a row is a key and a currency
    assert.match(await text(s.page, '#report-table caption'), /服务商/);
    // a provider the pages know reads by its name, as everywhere else (an unknown one by its code)
    assert.equal(await text(s.page, '#report-table tr[data-key="aliyun"] th'), '阿里云');
    assert.equal(await text(s.page, `#report-table tr[data-key="${PROVIDER}"] th`), PROVIDER);
    assert.match(await text(s.page, 'svg.bar-chart g.bar[data-key="aliyun"] .bar-label'), /^阿里云( · CNY)?$/);

    // the chart: inline SVG, a bar per row, named as an image
    const rows = await s.page.locator('#report-table tbody tr').count();
    assert.equal(await s.page.locator('svg.bar-chart g.bar').count(), rows);
    assert.equal(await s.page.getAttribute('svg.bar-chart', 'role'), 'img');
    assert.match(await text(s.page, 'svg.bar-chart title'), /条形图：按服务商的提交/);
    assert.equal(await text(s.page, `svg.bar-chart g.bar[data-key="${PROVIDER}"] .bar-value`), '3');
    await s.page.selectOption('#rep-measure', 'approval_rate');
    await waitText(s.page, `svg.bar-chart g.bar[data-key="${PROVIDER}"] .bar-value`, /^50\.0%$/);
    await s.page.screenshot({ path: `${SHOTS}/staff-reports-zh.png`, fullPage: true });
    // the chart is drawn at its box's width: the same text size on a phone
    // (turned from a desktop window) and on a wide screen, nothing cut off
    const wide = await readableChart(s.page, 1280);
    const phone = await readableChart(s.page, 375);
    assert.ok(phone.width < 375 && Math.abs(phone.smallest - wide.smallest) < 0.5, JSON.stringify([phone, wide]));
    assert.ok((await readableChart(s.page, 1920)).smallest <= 16, 'not blown up on a wide screen');
    await s.page.setViewportSize({ width: 1280, height: 900 });

    // the CSV, as the API gives it
    const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.click('#rep-csv')]);
    assert.equal(download.suggestedFilename(), 'refunds-provider.csv');
    const csv = readFileSync(await download.path(), 'utf8').split('\r\n');
    assert.match(csv[0], /^key,currency,submitted,approved,rejected,withdrawn,paid,amount_requested/);
    assert.ok(csv.some((l) => l.startsWith(`${PROVIDER},CNY,3,1,1,0,0,60000,20000,0,0.5000,`)), csv.join('\n'));

    await s.page.click('#lang-toggle');
    await waitText(s.page, '#reports-h', /Refund reports/);
    assert.match(await text(s.page, 'svg.bar-chart title'), /Bar chart: Approval rate by provider/);
    assert.match(await text(s.page, '#report-table thead'), /Approval rate/);
    assert.equal(await s.page.inputValue('#rep-group'), 'provider', 'the pickers keep their values');
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('by keyboard at 375 px: group by reviewer, read the rows; nothing scrolls sideways; axe finds nothing', async () => {
  const s = await open('/staff.html', { width: 375, height: 800, lang: 'en', forAudit: true });
  try {
    await signIn(s.page, token(`br-fin-${RUN}`, 'finance'));
    await s.page.locator('#reports-section').waitFor({ state: 'visible' });
    await s.page.focus('#rep-group');
    await s.page.selectOption('#rep-group', 'assignee');
    await s.page.keyboard.press('Tab');   /* the chart measure */
    await s.page.keyboard.press('Tab');   /* "Show report" */
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'rep-show');
    await s.page.keyboard.press('Enter');
    await waitText(s.page, '#report-table caption', /reviewer/);
    const row = `#report-table tr[data-key="br-agent-${RUN}"]`;
    assert.equal(await text(s.page, `${row} td[data-col="submitted"]`), '2');
    // stacked on a phone, each value keeps its name (CSS ::before from data-label)
    assert.equal(await s.page.evaluate((sel) => getComputedStyle(document.querySelector(sel), '::before').content,
      `${row} td[data-col="submitted"]`), '"Submitted: "');
    await noSidewaysScroll(s.page, '#reports-section');
    // the chart: one bar a row, its labels and values at least 12 px on screen
    assert.equal(await s.page.locator(`svg.bar-chart g.bar[data-key="br-agent-${RUN}"]`).count(), 1);
    await readableChart(s.page, 375);
    await s.page.screenshot({ path: `${SHOTS}/staff-reports-en-375.png`, fullPage: true });
    assert.deepEqual(await audit(s.page, '#reports-section'), []);
  } finally {
    await s.close();
  }
});

test("picked days are days of the reseller's time zone (not UTC, not the browser's), DST included; a bad range is refused in its language", async () => {
  // another reseller zone than the stack's, and a browser in a third one
  const s = await open('/staff.html', { width: 1280, timezoneId: 'Asia/Tokyo', config: { timezone: 'America/New_York' } });
  try {
    const sent = [];
    s.page.on('request', (r) => { if (r.url().includes('/api/v1/reports/refunds')) sent.push(new URL(r.url()).searchParams); });
    await signIn(s.page, SUPERVISOR);
    await s.page.locator('#reports-section').waitFor({ state: 'visible' });
    await waitText(s.page, '#report-result', /\S/);
    // the default range ends today in New York
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
    assert.equal(await s.page.inputValue('#rep-to'), today);
    // 8 March 2026: New York moves to summer time, a 23-hour day
    await s.page.fill('#rep-from', '2026-03-08');
    await s.page.fill('#rep-to', '2026-03-08');
    const res = s.page.waitForResponse((r) => r.url().includes('/api/v1/reports/refunds') && r.url().includes('2026-03-08'));
    await s.page.click('#rep-show');
    assert.equal((await res).status(), 200);
    assert.equal(sent.at(-1).get('from'), '2026-03-08T05:00:00Z');
    assert.equal(sent.at(-1).get('to'), '2026-03-09T04:00:00Z');

    // To before From: 422 invalid_range, in Chinese, the dates marked and focused
    await s.page.fill('#rep-from', '2026-03-10');
    await s.page.click('#rep-show');
    await waitText(s.page, '#reports-section [role=alert]', /日期范围无效/);
    assert.equal(await s.page.locator('#reports-section [role=alert] .problem-detail').count(), 0);
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'rep-from');
    assert.equal(await s.page.getAttribute('#rep-from', 'aria-invalid'), 'true');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('support does not get the Reports view', async () => {
  const s = await open('/staff.html');
  try {
    await signIn(s.page, SUPPORT);
    assert.equal(await s.page.locator('#reports-section').isHidden(), true);
  } finally {
    await s.close();
  }
});
