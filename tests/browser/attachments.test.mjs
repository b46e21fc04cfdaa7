// attachments.test.mjs -- evidence files in the pages (DESIGN.md §8
// "Evidence"), in headless Chromium through nginx -> refundd -> PostgreSQL:
// the customer adds files to an open request (the limits explained before
// any upload), a file the server refuses (its bytes are not its type) and
// files the page refuses before sending (type, size, count), in Chinese
// and English; the staff page lists the files and opens (downloads) one,
// whose bytes are checked against the stored sha256.
// Every test makes its own orders and requests under ids of this run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BASE, SHOTS, DAY, nowS, iso, token, api, ok, launch, watchedPage, waitText, text, signIn, openRefund } from './lib.mjs';

const RUN = randomUUID().replace(/-/g, '').slice(0, 10);
const PROVIDER = `ba_${RUN}`;
const SYSTEM = token('billing-sync', 'system');
const SUPPORT = token(`ba-support-${RUN}`, 'support');
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(200, 9)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');

let seq = 0;

/* A customer of this run with a submitted request: { account, tok, id }. */
async function newRequest(tag) {
  const account = `ba-cust-${RUN}-${tag}`;
  const tok = token(account, 'customer');
  const orderId = `BA-${RUN}-${++seq}`;
  await ok(api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
    account, provider: PROVIDER, product_type: 'saas_app', product_name: `附件测试 SaaS ${seq}`,
    billing_mode: 'subscription', status: 'paid', amount_paid: 59900, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - DAY),
    period_start: iso(nowS() - DAY), period_end: iso(nowS() + 364 * DAY) } }), 201);
  const q = await ok(api('GET', `/api/v1/orders/${orderId}/quote`, { tok }), 200);
  const r = await ok(api('POST', '/api/v1/refunds', { tok, key: randomUUID(), body: {
    order_id: orderId, reason_code: 'bought_by_mistake', payout_method: q.payout_default,
    expected_amount: q.amount } }), 201);
  assert.equal(r.status, 'submitted');
  return { account, tok, id: r.id };
}
const attachmentsOf = async (id, tok) => (await ok(api('GET', `/api/v1/refunds/${id}`, { tok }), 200)).attachments;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

/* A fresh context in the given language; records console errors, page
 * errors, CSP violations and every upload the page sends. */
async function open(path, lang) {
  const { context, page, problems, csp } = await watchedPage(browser, { lang, acceptDownloads: true });
  const uploads = [];
  page.on('request', (r) => { if (r.method() === 'POST' && /\/attachments\?/.test(r.url())) uploads.push(r); });
  assert.equal((await page.goto(BASE + path)).status(), 200);
  return {
    page, uploads, csp,
    /* console errors other than the browser's note on a refusal the test caused */
    unexpected() { return problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p)); },
    close: () => context.close(),
  };
}


const file = (name, mimeType, buffer) => ({ name, mimeType, buffer });
async function choose(page, ...files) {
  await page.setInputFiles('#att-file', files);
  await page.click('#detail form.upload-form button[type=submit]');
}

test('the customer adds evidence in Chinese: limits shown first, an upload, a refusal by the server, refusals in the page', async () => {
  const r = await newRequest('zh');
  const s = await open('/');
  try {
    await signIn(s.page, r.tok);
    await openRefund(s.page, r.id);
    assert.match(await text(s.page, '#detail'), /证明材料/);
    assert.match(await text(s.page, '#detail .attachments-none'), /暂无附件/);
    // the limits are stated before anything is chosen, and tied to the field
    const hint = await text(s.page, '#att-hint');
    assert.match(hint, /PNG、JPEG 或 PDF/);
    assert.match(hint, /每个文件不超过 5 MB/);
    assert.match(hint, /最多 5 个文件（还可上传 5 个）/);
    assert.equal(await s.page.getAttribute('#att-file', 'aria-describedby'), 'att-hint');
    assert.equal(await text(s.page, 'label[for="att-file"]'), '添加证明材料');

    await choose(s.page, file('付款截图.png', 'image/png', PNG));
    await waitText(s.page, '#detail ul.attachments', /付款截图\.png/);
    await waitText(s.page, '#notice', /已上传 1 个文件/);
    assert.match(await text(s.page, '#detail ul.attachments'), /PNG 图片/);
    assert.match(await text(s.page, '#att-hint'), /还可上传 4 个/);
    assert.equal(await s.page.locator('#detail ol.timeline li[data-action="refund.attachment_add"]').count(), 1);
    assert.match(await text(s.page, '#detail ol.timeline li[data-action="refund.attachment_add"]'), /上传证明材料/);
    let stored = await attachmentsOf(r.id, r.tok);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].name, '付款截图.png');
    assert.equal(stored[0].sha256, sha256(PNG));
    await s.page.screenshot({ path: `${SHOTS}/customer-evidence-zh.png`, fullPage: true });

    // a .png whose bytes are text: sent, refused by the server (415)
    const sent = s.uploads.length;
    await choose(s.page, file('假的.png', 'image/png', Buffer.from('这不是图片')));
    await waitText(s.page, '#detail-alert', /只能上传 PNG、JPEG 或 PDF 文件，且文件内容须与类型一致/);
    assert.equal(await s.page.getAttribute('#detail-alert .problem', 'data-code'), 'unsupported_attachment');
    // the translated headline alone (no English detail); focus back on the picker, marked
    assert.equal(await s.page.locator('#detail-alert .problem-detail').count(), 0);
    assert.match(await text(s.page, '#detail-alert .problem-meta'), /请求编号/);
    assert.equal(await s.page.evaluate(() => document.activeElement.id), 'att-file');
    assert.equal(await s.page.getAttribute('#att-file', 'aria-invalid'), 'true');
    assert.equal(s.uploads.length, sent + 1, 'this one went to the server');
    assert.equal((await attachmentsOf(r.id, r.tok)).length, 1, 'nothing stored');

    // refused in the page, before any upload: wrong type, too large, too many
    await choose(s.page, file('说明.txt', 'text/plain', Buffer.from('hello')));
    await waitText(s.page, '#detail-alert', /“说明\.txt”不是 PNG、JPEG 或 PDF 文件，未上传/);
    assert.equal(await s.page.getAttribute('#att-file', 'aria-invalid'), 'true');
    await choose(s.page, file('太大.pdf', 'application/pdf', Buffer.concat([PDF, Buffer.alloc(5 * 1024 * 1024)])));
    await waitText(s.page, '#detail-alert', /“太大\.pdf”超过 5 MB，未上传/);
    await choose(s.page, ...[1, 2, 3, 4, 5].map((i) => file(`p${i}.png`, 'image/png', PNG)));
    await waitText(s.page, '#detail-alert', /最多还能上传 4 个文件，您选择了 5 个/);
    assert.equal(s.uploads.length, sent + 1, 'none of these reached the server');

    // the same refusal, in English after a switch
    await s.page.click('#lang-toggle');
    await waitText(s.page, '#detail-alert', /You can add 4 more file\(s\); you chose 5/);
    assert.match(await text(s.page, '#att-hint'), /PNG, JPEG or PDF, at most 5 MB each, up to 5 files per request \(4 more allowed\)/);
    assert.match(await text(s.page, '#detail ul.attachments'), /PNG image/);
    assert.match(await text(s.page, '#detail ol.timeline li[data-action="refund.attachment_add"]'), /Evidence attached/);

    // the owner gets the file back as a download
    const [dl] = await Promise.all([s.page.waitForEvent('download'),
      s.page.click('#detail ul.attachments button[data-action="download"]')]);
    assert.equal(dl.suggestedFilename(), '付款截图.png');
    assert.equal(sha256(readFileSync(await dl.path())), sha256(PNG));

    // four more fill the request: the form goes away
    await choose(s.page, ...[1, 2, 3, 4].map((i) => file(`p${i}.pdf`, 'application/pdf', PDF)));
    await waitText(s.page, '#notice', /4 file\(s\) uploaded/);
    assert.equal(await s.page.locator('#detail ul.attachments li').count(), 5);
    assert.equal(await s.page.locator('#att-file').count(), 0);
    stored = await attachmentsOf(r.id, r.tok);
    assert.equal(stored.length, 5);
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

// The answer to an upload and to a message is lost on its way back (the
// server stored them; the page sees 504 upstream_timeout). Sent again from
// the page, each carries the same Idempotency-Key and is stored once
// (regression: a second file, a second message).
test('an upload and a message whose answer was lost are stored once when sent again', async () => {
  const r = await newRequest('retry');
  const s = await open('/', 'en');
  try {
    await signIn(s.page, r.tok);
    await openRefund(s.page, r.id);
    const keys = [];
    const lost = new Set();   // the first upload's and the first message's answers
    await s.page.route(/\/api\/v1\/refunds\/\d+\/(attachments\?|messages$)/, async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      const kind = /messages$/.test(route.request().url()) ? 'message' : 'upload';
      const res = await route.fetch();
      if (!lost.has(kind) && res.status() === 201) {
        lost.add(kind);
        return route.fulfill({ status: 504, contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'about:blank', title: 'Gateway Timeout', status: 504,
            code: 'upstream_timeout', detail: 'lost on its way back', request_id: 'lost' }) });
      }
      return route.fulfill({ response: res });
    });
    await choose(s.page, file('receipt.png', 'image/png', PNG));
    await waitText(s.page, '#detail-alert', /did not answer in time/);
    await choose(s.page, file('receipt.png', 'image/png', PNG));
    await waitText(s.page, '#detail ul.attachments', /receipt\.png/);
    assert.equal((await attachmentsOf(r.id, r.tok)).length, 1, 'stored once');

    await s.page.click('#detail details.more summary');
    await s.page.fill('#message-body', 'Paid twice by mistake, see receipt');
    await s.page.click('form:has(#message-body) button[type=submit]');
    await waitText(s.page, '#detail-alert', /did not answer in time/);
    await s.page.click('form:has(#message-body) button[type=submit]');
    await waitText(s.page, '#detail ul.messages', /Paid twice by mistake/);
    const detail = await ok(api('GET', `/api/v1/refunds/${r.id}`, { tok: r.tok }), 200);
    assert.deepEqual(detail.messages.map((m) => m.body), ['Paid twice by mistake, see receipt']);
    assert.equal(keys.length, 4);
    assert.ok(keys.every((k) => /^[0-9a-f-]{36}$/.test(k)), keys.join(' '));
    assert.equal(keys[0], keys[1], 'the upload sent again with its key');
    assert.equal(keys[2], keys[3], 'the message sent again with its key');
    assert.notEqual(keys[0], keys[2]);
    assert.deepEqual(s.unexpected().filter((p) => !/504/.test(p)), []);
  } finally {
    await s.page.unrouteAll({ behavior: 'ignoreErrors' });
    await s.close();
  }
});

test('the customer adds evidence in English; a mismatch is refused; a closed request offers no upload', async () => {
  const r = await newRequest('en');
  const closed = await newRequest('en');
  await ok(api('POST', `/api/v1/refunds/${closed.id}/withdraw`, { tok: closed.tok, body: {} }), 200);
  const s = await open('/', 'en');
  try {
    await signIn(s.page, r.tok);
    await openRefund(s.page, r.id);
    assert.equal(await text(s.page, 'label[for="att-file"]'), 'Add evidence');
    assert.match(await text(s.page, '#detail .attachments-none'), /No files attached/);
    await choose(s.page, file('statement.pdf', 'application/pdf', PDF));
    await waitText(s.page, '#detail ul.attachments', /statement\.pdf/);
    await waitText(s.page, '#notice', /1 file\(s\) uploaded/);
    assert.match(await text(s.page, '#detail ul.attachments'), /PDF document/);

    // a JPEG that is really a PDF: the server compares the first bytes
    await choose(s.page, file('photo.jpg', 'image/jpeg', PDF));
    await waitText(s.page, '#detail-alert', /Only PNG, JPEG or PDF files are accepted, and the content must match the type/);
    assert.equal((await attachmentsOf(r.id, r.tok)).map((a) => a.name).join(), 'statement.pdf');
    await s.page.screenshot({ path: `${SHOTS}/customer-evidence-en.png`, fullPage: true });

    // a closed request: the files section stays, the upload form does not
    await openRefund(s.page, closed.id);
    await waitText(s.page, '#detail .detail-status', /Withdrawn/);
    assert.match(await text(s.page, '#detail'), /Evidence/);
    assert.equal(await s.page.locator('#att-file').count(), 0);
    assert.deepEqual(await s.csp(), []);
    assert.deepEqual(s.unexpected(), []);
  } finally { await s.close(); }
});

for (const lang of ['zh-CN', 'en']) {
  test(`the staff page lists a request's files and opens one (${lang})`, async () => {
    const r = await newRequest(`staff-${lang}`);
    const name = lang === 'en' ? 'bank receipt 11-28.png' : '银行回单 11-28.png';
    const up = await ok(api('POST', `/api/v1/refunds/${r.id}/attachments?name=${encodeURIComponent(name)}`,
      { tok: r.tok, raw: PNG, type: 'image/png' }), 201);
    await ok(api('POST', `/api/v1/refunds/${r.id}/attachments?name=invoice.pdf`, { tok: r.tok, raw: PDF, type: 'application/pdf' }), 201);
    // a PNG that goes on as HTML, named to be opened as a page once saved
    const page = await ok(api('POST', `/api/v1/refunds/${r.id}/attachments?name=evidence.html`,
      { tok: r.tok, raw: Buffer.concat([PNG, Buffer.from('<script>alert(1)</script>')]), type: 'image/png' }), 201);
    const s = await open('/staff.html', lang);
    try {
      await signIn(s.page, SUPPORT);
      await s.page.locator('#queue-section').waitFor({ state: 'visible' });
      await s.page.fill('#f-provider', PROVIDER);
      await s.page.press('#f-provider', 'Enter');
      await s.page.locator(`#queue-body tr[data-refund="${r.id}"]`).waitFor({ state: 'visible' });
      await openRefund(s.page, r.id);
      const list = '#detail ul.attachments';
      await waitText(s.page, list, new RegExp(name.replace(/[.]/g, '\\.')));
      assert.equal(await s.page.locator(`${list} li`).count(), 3);
      const row = `${list} li[data-attachment="${up.id}"]`;
      const zh = lang === 'zh-CN';
      assert.match(await text(s.page, row), zh ? /PNG 图片/ : /PNG image/);
      assert.match(await text(s.page, `${list} li:nth-child(2)`), zh ? /PDF 文档/ : /PDF document/);
      assert.match(await text(s.page, '#detail'), zh ? /证明材料/ : /Evidence/);
      const button = `${row} button[data-action="download"]`;
      assert.equal(await text(s.page, button), zh ? '下载' : 'Download');
      assert.equal(await s.page.getAttribute(button, 'aria-label'), zh ? `下载 ${name}` : `Download ${name}`);
      assert.equal(await s.page.locator('#att-file').count(), 0, 'staff do not upload');

      const [dl] = await Promise.all([s.page.waitForEvent('download'), s.page.click(button)]);
      assert.equal(dl.suggestedFilename(), name);
      const bytes = readFileSync(await dl.path());
      assert.equal(sha256(bytes), up.sha256, 'the bytes the customer sent');
      // saved with the extension of the type its bytes were checked to be
      const [dl2] = await Promise.all([s.page.waitForEvent('download'),
        s.page.click(`${list} li[data-attachment="${page.id}"] button[data-action="download"]`)]);
      assert.equal(dl2.suggestedFilename(), 'evidence.html.png');
      await s.page.screenshot({ path: `${SHOTS}/staff-evidence-${lang}.png`, fullPage: true });
      assert.deepEqual(await s.csp(), []);
      assert.deepEqual(s.unexpected(), []);
    } finally { await s.close(); }
  });
}
