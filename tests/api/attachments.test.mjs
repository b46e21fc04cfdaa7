// attachments.test.mjs -- evidence on a refund request (DESIGN.md §8
// "Evidence") through nginx -> refundd -> PostgreSQL: PNG, JPEG and PDF
// judged by their first bytes, the file name rules, who may upload and
// download, open states only, 5 MiB each (nginx lets that through on this
// route only) and 5 per request, also under parallel uploads; the stored
// sha256 in the answer, the request's detail and the audit event; the
// download's headers (RFC 6266 filename*, nosniff, sandbox).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import net from 'node:net';
import { api, assertProblem, token, uid, DAY, nowS, iso, psql, RUNDIR } from './lib.mjs';

const RUN = uid();
const SYSTEM = token(`billing-at-${RUN}`, 'system');
const SUPPORT = token(`at-agent-${RUN}`, 'support');
const FINANCE = token(`at-fin-${RUN}`, 'finance');
const MiB = 1024 * 1024;

// Small but real files: the signatures the server looks for, then filler.
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 7)]);
const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.alloc(64, 3)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

let seq = 0;
function customer() {
  const sub = `at-c-${RUN}-${++seq}`;
  return { sub, tok: token(sub, 'customer') };
}

// A submitted request of a new customer: { c, id }.
async function newRequest(amountPaid = 100000) {
  const c = customer();
  const orderId = `AT-${RUN}-${++seq}`;
  const order = {
    account: c.sub, provider: `at_${RUN}`, product_type: 'api_credits', product_name: 'API 调用资源包',
    billing_mode: 'one_time', status: 'paid', amount_paid: amountPaid, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - 10 * DAY), quantity: 100000,
    bonus_quantity: 0, used_quantity: 0,
  };
  let r = await api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: order });
  assert.equal(r.status, 201, r.text);
  r = await api('POST', '/api/v1/refunds', { tok: c.tok, headers: { 'Idempotency-Key': randomUUID() },
    body: { order_id: orderId, reason_code: 'changed_mind', payout_method: 'original_route' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'submitted');
  return { c, id: r.json.id };
}

function upload(id, tok, name, type, bytes) {
  const q = name === undefined ? '' : `?name=${encodeURIComponent(name)}`;
  const headers = type === undefined ? {} : { 'Content-Type': type };
  return api('POST', `/api/v1/refunds/${id}/attachments${q}`, { tok, headers, raw: bytes });
}

// The raw bytes of a download (api() would decode them as text).
async function download(id, aid, tok) {
  const res = await fetch(`${process.env.REFUNDD_URL}/api/v1/refunds/${id}/attachments/${aid}`,
    { headers: tok ? { Authorization: `Bearer ${tok}` } : {} });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const stored = (id) => Number(psql(`SELECT count(*) FROM refund_attachments WHERE refund_id = ${Number(id)}`));

test('a PNG is stored with its sha256, listed on the request, audited, and comes back as a download', async () => {
  const { c, id } = await newRequest();
  const name = '收据 2026-11 (支付宝).png';
  const r = await upload(id, c.tok, name, 'image/png', PNG);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['content_type', 'created_at', 'id', 'name', 'sha256', 'size']);
  assert.equal(r.json.name, name);
  assert.equal(r.json.content_type, 'image/png');
  assert.equal(r.json.size, PNG.length);
  assert.equal(r.json.sha256, sha256(PNG));
  assert.ok(Date.parse(r.json.created_at) > Date.now() - 60000);

  const detail = await api('GET', `/api/v1/refunds/${id}`, { tok: c.tok });
  assert.equal(detail.status, 200);
  assert.deepEqual(detail.json.attachments, [r.json], 'metadata only, as uploaded');
  assert.ok(detail.json.timeline.some((e) => e.action === 'refund.attachment_add'));
  const staffView = await api('GET', `/api/v1/refunds/${id}`, { tok: SUPPORT });
  assert.deepEqual(staffView.json.attachments, [r.json]);

  const ev = JSON.parse(psql(`SELECT json_build_object('actor', actor, 'role', actor_role, 'after', after)
    FROM audit_events WHERE entity = 'refund' AND entity_id = '${id}' AND action = 'refund.attachment_add'`));
  assert.equal(ev.actor, c.sub);
  assert.equal(ev.role, 'customer');
  assert.equal(ev.after.attachment.sha256, sha256(PNG));
  assert.equal(ev.after.attachment.id, r.json.id);
  assert.equal(ev.after.attachment.size, PNG.length);

  for (const tok of [c.tok, SUPPORT, FINANCE]) {
    const d = await download(id, r.json.id, tok);
    assert.equal(d.status, 200);
    assert.ok(d.body.equals(PNG), 'the same bytes');
    assert.equal(d.headers.get('content-type'), 'image/png');
    assert.equal(d.headers.get('content-disposition'),
      `attachment; filename="${'_'.repeat(6)} 2026-11 (${'_'.repeat(9)}).png"; ` +
      "filename*=UTF-8''%E6%94%B6%E6%8D%AE%202026-11%20%28%E6%94%AF%E4%BB%98%E5%AE%9D%29.png");
    assert.match(d.headers.get('x-content-type-options'), /^nosniff/);
    assert.match(d.headers.get('content-security-policy'), /(^|, )sandbox(,|$)/);
    assert.equal(d.headers.get('cache-control'), 'no-store');
  }
});

test('JPEG and PDF are accepted; the declared type may carry parameters', async () => {
  const { c, id } = await newRequest();
  let r = await upload(id, c.tok, 'photo.JPG', 'image/jpeg', JPEG);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.content_type, 'image/jpeg');
  r = await upload(id, c.tok, 'invoice.pdf', 'Application/PDF; charset=binary', PDF);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.content_type, 'application/pdf');
  const d = await download(id, r.json.id, c.tok);
  assert.ok(d.body.equals(PDF));
  assert.equal(d.headers.get('content-type'), 'application/pdf');
  assert.equal(stored(id), 2);
});

test('another type, or bytes that are not what the type says: 415 unsupported_attachment, nothing stored', async () => {
  const { c, id } = await newRequest();
  const cases = [
    ['image/png', PDF], ['image/jpeg', PNG], ['application/pdf', JPEG], ['image/gif', GIF],
    ['image/jpeg', GIF], ['text/plain', Buffer.from('hello')], ['application/octet-stream', PNG],
    ['image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['application/json', Buffer.from('{}')], ['image/png', Buffer.alloc(0)],
    ['image/png', PNG.subarray(0, 7)], ['image/pngx', PNG], [undefined, PNG],
  ];
  for (const [type, bytes] of cases) {
    const r = await upload(id, c.tok, 'x.png', type, bytes);
    assertProblem(assert, r, 415, 'unsupported_attachment');
  }
  assert.equal(stored(id), 0);
});

test('file names: UTF-8 up to 255 bytes, no control characters, bidi overrides or path parts (400)', async () => {
  const { c, id } = await newRequest();
  const bad = ['', '../x.png', 'a/b.png', 'a\\b.png', '.', '..', 'line\nbreak.png', 'tab\t.png',
    'nul\u0000.png', 'del\u007f.png', 'c1\u0085.png', 'evil\u202egnp.exe', 'iso\u2066x.png',
    ' lead.png', 'trail.png ', 'x'.repeat(252) + '.png', '票'.repeat(86)];
  for (const name of bad) {
    const r = await upload(id, c.tok, name, 'image/png', PNG);
    assertProblem(assert, r, 400, 'invalid_attachment_name');
  }
  for (const q of ['', '?name', '?name=%FF.png', '?name=%C0%AE.png', '?name=%zz.png']) {
    const r = await api('POST', `/api/v1/refunds/${id}/attachments${q}`,
      { tok: c.tok, headers: { 'Content-Type': 'image/png' }, raw: PNG });
    assertProblem(assert, r, 400, 'invalid_attachment_name');
  }
  // the name under another parameter, or given twice, is not taken either
  for (const [q, code] of [['?other=x.png', 'unknown_parameter'], ['?name=a.png&name=b.png', 'repeated_parameter']]) {
    const r = await api('POST', `/api/v1/refunds/${id}/attachments${q}`,
      { tok: c.tok, headers: { 'Content-Type': 'image/png' }, raw: PNG });
    assertProblem(assert, r, 400, code);
  }
  assert.equal(stored(id), 0);
  // At the limit: 85 three-byte characters are 255 bytes.
  const longest = '票'.repeat(85);
  const r = await upload(id, c.tok, longest, 'image/png', PNG);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.name, longest);
  const d = await download(id, r.json.id, SUPPORT);
  assert.equal(d.headers.get('content-disposition'),
    `attachment; filename="${'_'.repeat(255)}.png"; filename*=UTF-8''${'%E7%A5%A8'.repeat(85)}.png`);
  // Characters RFC 8187 sends as they are, and those it must encode.
  const odd = 'a"b%c;d\'e+f#g.pdf';
  const r2 = await upload(id, c.tok, odd, 'application/pdf', PDF);
  assert.equal(r2.status, 201, r2.text);
  const d2 = await download(id, r2.json.id, c.tok);
  assert.equal(d2.headers.get('content-disposition'),
    'attachment; filename="a_b_c_d\'e+f#g.pdf"; filename*=UTF-8\'\'a%22b%25c%3Bd%27e+f#g.pdf');
});

test('a download is saved with its checked type\'s extension: a PNG named x.html does not become a page on staff\'s disk', async () => {
  const { c, id } = await newRequest();
  // a PNG whose bytes go on as HTML: opened as a file named .html it is a page
  const polyglot = Buffer.concat([PNG, Buffer.from('<html><script>alert(document.domain)</script>')]);
  const rows = [
    ['invoice.html', 'image/png', polyglot, 'invoice.html.png'],
    ['invoice.svg', 'image/jpeg', JPEG, 'invoice.svg.jpg'],
    ['statement', 'application/pdf', PDF, 'statement.pdf'],
    ['Photo.JPEG', 'image/jpeg', JPEG, 'Photo.JPEG'],
  ];
  for (const [name, type, bytes, saved] of rows) {
    const r = await upload(id, c.tok, name, type, bytes);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.name, name, 'the name is kept as the customer gave it');
    const d = await download(id, r.json.id, SUPPORT);
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-disposition'),
      `attachment; filename="${saved}"; filename*=UTF-8''${saved}`, name);
  }
});

test('only the owner uploads: another customer 404, staff 403, no token 401', async () => {
  const { id } = await newRequest();
  const other = customer();
  assertProblem(assert, await upload(id, other.tok, 'x.png', 'image/png', PNG), 404, 'refund_not_found');
  assertProblem(assert, await upload(id, SUPPORT, 'x.png', 'image/png', PNG), 403, 'forbidden');
  assertProblem(assert, await upload(id, FINANCE, 'x.png', 'image/png', PNG), 403, 'forbidden');
  assertProblem(assert, await upload(id, undefined, 'x.png', 'image/png', PNG), 401, 'invalid_token');
  assertProblem(assert, await upload('999999999999', customer().tok, 'x.png', 'image/png', PNG), 404, 'refund_not_found');
  assertProblem(assert, await upload('abc', customer().tok, 'x.png', 'image/png', PNG), 404, 'refund_not_found');
  assert.equal(stored(id), 0);
});

test('only the owner and staff download; ids must match the request', async () => {
  const a = await newRequest();
  const b = await newRequest();
  const r = await upload(a.id, a.c.tok, 'a.png', 'image/png', PNG);
  assert.equal(r.status, 201, r.text);
  let d = await download(a.id, r.json.id, b.c.tok);
  assert.equal(d.status, 404);
  d = await download(b.id, r.json.id, b.c.tok);
  assert.equal(d.status, 404, 'an attachment of another request, under one of mine');
  d = await download(b.id, r.json.id, SUPPORT);
  assert.equal(d.status, 404, 'staff too: the pair must match');
  d = await download(a.id, r.json.id, undefined);
  assert.equal(d.status, 401);
  d = await download(a.id, r.json.id, token(`at-sys-${RUN}`, 'system'));
  assert.equal(d.status, 403);
  for (const aid of ['0', '01', 'x', '99999999999']) {
    const res = await api('GET', `/api/v1/refunds/${a.id}/attachments/${aid}`, { tok: a.c.tok });
    assertProblem(assert, res, 404, 'attachment_not_found');
  }
  const list = await api('GET', `/api/v1/refunds/${a.id}/attachments`, { tok: a.c.tok });
  assert.equal(list.status, 405);
  assert.equal(list.headers.get('allow'), 'POST');
  const other = await api('GET', `/api/v1/refunds/${a.id}`, { tok: b.c.tok });
  assert.equal(other.status, 404, 'nor its metadata');
});

test('only while the request is open: a withdrawn request refuses with 409 refund_not_open', async () => {
  const { c, id } = await newRequest();
  const w = await api('POST', `/api/v1/refunds/${id}/withdraw`, { tok: c.tok });
  assert.equal(w.status, 200, w.text);
  const r = await upload(id, c.tok, 'late.png', 'image/png', PNG);
  assertProblem(assert, r, 409, 'refund_not_open');
  assert.equal(r.json.state, 'withdrawn');
  assert.equal(stored(id), 0);
});

test('needs_info (asked for 证明材料) takes files; the answer and the timeline say so', async () => {
  const { c, id } = await newRequest();
  let r = await api('POST', `/api/v1/refunds/${id}/claim`, { tok: SUPPORT });
  assert.equal(r.status, 200, r.text);
  r = await api('POST', `/api/v1/refunds/${id}/request-info`, { tok: SUPPORT, body: { message: '请上传付款截图作为证明材料' } });
  assert.equal(r.json.status, 'needs_info');
  r = await upload(id, c.tok, '付款截图.jpg', 'image/jpeg', JPEG);
  assert.equal(r.status, 201, r.text);
  const detail = await api('GET', `/api/v1/refunds/${id}`, { tok: SUPPORT });
  assert.equal(detail.json.status, 'needs_info', 'a file is not a reply: the state stays');
  assert.equal(detail.json.attachments.length, 1);
});

test('awaiting_second_approval is still under review: it takes files, the state stays', async () => {
  // 10,000.00 CNY is above the demo policy's second_approval_over (5,000.00)
  const { c, id } = await newRequest(1000000);
  let r = await api('POST', `/api/v1/refunds/${id}/claim`, { tok: SUPPORT });
  assert.equal(r.status, 200, r.text);
  r = await api('POST', `/api/v1/refunds/${id}/approve`, { tok: SUPPORT, body: {} });
  assert.equal(r.json.status, 'awaiting_second_approval', r.text);
  r = await upload(id, c.tok, 'bank-slip.pdf', 'application/pdf', PDF);
  assert.equal(r.status, 201, r.text);
  const detail = await api('GET', `/api/v1/refunds/${id}`, { tok: SUPPORT });
  assert.equal(detail.json.status, 'awaiting_second_approval');
  assert.equal(detail.json.attachments.length, 1);
});

test('5 MiB is the limit of a file (nginx and refundd agree); other routes keep their small limit', async () => {
  const { c, id } = await newRequest();
  const exact = Buffer.concat([PNG, Buffer.alloc(5 * MiB - PNG.length, 1)]);
  const r = await upload(id, c.tok, 'big.png', 'image/png', exact);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.size, 5 * MiB);
  assert.equal(r.json.sha256, sha256(exact));
  const d = await download(id, r.json.id, SUPPORT);
  assert.equal(sha256(d.body), sha256(exact));

  const over = Buffer.concat([exact, Buffer.from([0])]);
  const big = await upload(id, c.tok, 'bigger.png', 'image/png', over);
  assertProblem(assert, big, 413, 'body_too_large');   // nginx's own 413
  assert.equal(stored(id), 1);

  // The raised limit is this route's only: 100 KiB elsewhere is refused.
  const text = 'x'.repeat(100 * 1024);
  const msg = await api('POST', `/api/v1/refunds/${id}/messages`, { tok: c.tok, body: { body: text } });
  assert.equal(msg.status, 413);
  const sub = await api('POST', '/api/v1/refunds', { tok: c.tok, headers: { 'Idempotency-Key': randomUUID() },
    body: { order_id: 'x', reason_code: 'other', reason_text: text, payout_method: 'balance' } });
  assert.equal(sub.status, 413);
  const onDownload = await api('POST', `/api/v1/refunds/${id}/attachments/${r.json.id}`,
    { tok: c.tok, headers: { 'Content-Type': 'image/png' }, raw: Buffer.concat([PNG, Buffer.alloc(100 * 1024)]) });
  assert.equal(onDownload.status, 413, 'the path of a download keeps the small limit');
});

test('5 files per request: the sixth is 409 too_many_attachments', async () => {
  const { c, id } = await newRequest();
  for (let i = 1; i <= 5; i++) {
    const r = await upload(id, c.tok, `p${i}.png`, 'image/png', PNG);
    assert.equal(r.status, 201, r.text);
  }
  assertProblem(assert, await upload(id, c.tok, 'p6.png', 'image/png', PNG), 409, 'too_many_attachments');
  const detail = await api('GET', `/api/v1/refunds/${id}`, { tok: c.tok });
  assert.deepEqual(detail.json.attachments.map((a) => a.name), ['p1.png', 'p2.png', 'p3.png', 'p4.png', 'p5.png']);
});

// A retry after a lost answer (a 502 or 504, a dropped connection) must
// not store the file twice and use up a second of the five slots
// (regression: the Idempotency-Key was ignored on uploads).
test('Idempotency-Key: the same upload again answers the first, stores nothing; another file 422', async () => {
  const { c, id } = await newRequest();
  const key = randomUUID();
  const send = (bytes, name = 'receipt.png', k = key) => api('POST',
    `/api/v1/refunds/${id}/attachments?name=${encodeURIComponent(name)}`,
    { tok: c.tok, headers: { 'Content-Type': 'image/png', 'Idempotency-Key': k }, raw: bytes });
  const first = await send(PNG);
  assert.equal(first.status, 201, first.text);
  const again = await send(PNG);
  assert.equal(again.status, 201, again.text);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.json, first.json);
  assert.equal(stored(id), 1);
  const other = Buffer.concat([PNG, Buffer.from('other')]);
  assertProblem(assert, await send(other), 422, 'idempotency_key_reused');
  assertProblem(assert, await send(PNG, 'renamed.png'), 422, 'idempotency_key_reused');
  assertProblem(assert, await send(PNG, 'receipt.png', 'not a key!'), 400, 'invalid_idempotency_key');
  assert.equal(stored(id), 1);
  // The same key on another request of the customer is another request.
  const second = await newRequest();
  const elsewhere = await api('POST', `/api/v1/refunds/${second.id}/attachments?name=receipt.png`,
    { tok: second.c.tok, headers: { 'Content-Type': 'image/png', 'Idempotency-Key': key }, raw: PNG });
  assert.equal(elsewhere.status, 201, 'keys are per caller');
  // Eight retries at once: one file, eight equal answers.
  const k2 = randomUUID();
  const results = await Promise.all(Array.from({ length: 8 }, () => send(PNG, 'par.png', k2)));
  assert.deepEqual(results.map((r) => r.status), Array(8).fill(201));
  assert.equal(new Set(results.map((r) => r.json.id)).size, 1);
  assert.equal(stored(id), 2);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'refund' AND entity_id = '${id}'
    AND action = 'refund.attachment_add'`), '2');
  // Without a key, each upload is its own.
  assert.equal((await upload(id, c.tok, 'nokey.png', 'image/png', PNG)).status, 201);
  assert.equal((await upload(id, c.tok, 'nokey.png', 'image/png', PNG)).status, 201);
  assert.equal(stored(id), 4);
});

test('parallel uploads to one request: exactly 5 stored, the rest 409, one audit event each', async () => {
  for (let round = 0; round < 3; round++) {
    const { c, id } = await newRequest();
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) =>
      upload(id, c.tok, `par${i}.pdf`, 'application/pdf', Buffer.concat([PDF, Buffer.from(`%${i}\n`)]))));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    assert.equal(ok.length, 5, results.map((r) => r.status).join(','));
    for (const r of refused) assertProblem(assert, r, 409, 'too_many_attachments');
    assert.equal(psql(`SELECT string_agg(position::text, ',' ORDER BY position) FROM refund_attachments
      WHERE refund_id = ${Number(id)}`), '1,2,3,4,5');
    const shas = psql(`SELECT string_agg(after->'attachment'->>'sha256', ',' ORDER BY after->'attachment'->>'sha256')
      FROM audit_events WHERE entity = 'refund' AND entity_id = '${id}' AND action = 'refund.attachment_add'`);
    assert.equal(shas, ok.map((r) => r.json.sha256).sort().join(','));
  }
});

test('the server still answers after refused uploads (a kept worker is not confused)', async () => {
  const { c, id } = await newRequest();
  const big = Buffer.concat([PNG, Buffer.alloc(2 * MiB)]);
  for (let i = 0; i < 3; i++) {
    assertProblem(assert, await upload(id, SUPPORT, 'x.png', 'image/png', big), 403, 'forbidden');
    assertProblem(assert, await upload(id, undefined, 'x.png', 'image/png', big), 401, 'invalid_token');
  }
  const r = await upload(id, c.tok, 'ok.png', 'image/png', big);
  assert.equal(r.status, 201, r.text);
  const h = await api('GET', '/api/v1/health');
  assert.equal(h.status, 200);
});

// ---- refundd's own bound, without nginx in front ----
// nginx never passes more than 5 MiB here, so these speak FastCGI to
// refundd's socket directly: the route's limit must hold by itself, for an
// announced length and for a body of unknown length (CONTENT_LENGTH empty).

const SOCKET = process.env.REFUNDD_SERVER_LISTEN || `${RUNDIR}/run/refundd.sock`;

function record(type, content = Buffer.alloc(0)) {
  const head = Buffer.from([1, type, 0, 1, content.length >> 8, content.length & 255, 0, 0]);
  return Buffer.concat([head, content]);
}
function nvLength(n) {
  return n < 128 ? Buffer.from([n]) : Buffer.from([(n >>> 24) | 0x80, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
}
// One FastCGI request; resolves to { status, body } from refundd's answer.
function fcgi(params, body) {
  const pairs = Object.entries(params).map(([k, v]) =>
    Buffer.concat([nvLength(Buffer.byteLength(k)), nvLength(Buffer.byteLength(v)), Buffer.from(k), Buffer.from(v)]));
  const out = [record(1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])), record(4, Buffer.concat(pairs)), record(4)];
  for (let i = 0; i < body.length; i += 65535) out.push(record(5, body.subarray(i, i + 65535)));
  out.push(record(5));
  return new Promise((resolve, reject) => {
    const sock = net.connect(SOCKET);
    const chunks = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => {
      const all = Buffer.concat(chunks);
      let stdout = Buffer.alloc(0);
      for (let o = 0; o + 8 <= all.length;) {
        const len = all.readUInt16BE(o + 4), pad = all[o + 6];
        if (all[o + 1] === 6) stdout = Buffer.concat([stdout, all.subarray(o + 8, o + 8 + len)]);
        o += 8 + len + pad;
      }
      const text = stdout.toString('utf8');
      const status = Number((text.match(/^Status: (\d+)/m) || [])[1]);
      const json = text.includes('\r\n\r\n') ? text.slice(text.indexOf('\r\n\r\n') + 4) : '';
      resolve({ status, body: json });
    });
    sock.end(Buffer.concat(out));
  });
}

test('refundd itself reads at most 5 MiB on the upload route (FastCGI, no nginx)', async () => {
  const { c, id } = await newRequest();
  const base = { REQUEST_METHOD: 'POST', REQUEST_URI: `/api/v1/refunds/${id}/attachments?name=direct.png`,
    CONTENT_TYPE: 'image/png', HTTP_AUTHORIZATION: `Bearer ${c.tok}`, REMOTE_ADDR: '127.0.0.1' };
  const exact = Buffer.concat([PNG, Buffer.alloc(5 * MiB - PNG.length, 2)]);
  const over = Buffer.concat([exact, Buffer.from([0])]);

  let r = await fcgi({ ...base, CONTENT_LENGTH: String(5 * MiB + 1) }, Buffer.alloc(0));
  assert.equal(r.status, 413, 'an announced length over the limit, refused unread');
  assert.equal(JSON.parse(r.body).code, 'payload_too_large');
  r = await fcgi({ ...base, CONTENT_LENGTH: '' }, over);
  assert.equal(r.status, 413, 'a body of unknown length: refused at 5 MiB + 1');
  r = await fcgi({ ...base, CONTENT_LENGTH: '1000' }, PNG);
  assert.equal(r.status, 400, 'fewer bytes than announced');
  assert.equal(stored(id), 0);
  r = await fcgi({ ...base, CONTENT_LENGTH: '' }, exact);
  assert.equal(r.status, 201, r.body);
  assert.equal(JSON.parse(r.body).sha256, sha256(exact));
  // any other route keeps server.max_body (64 KiB), even told a small length
  r = await fcgi({ ...base, REQUEST_URI: `/api/v1/refunds/${id}/messages`, CONTENT_TYPE: 'application/json',
    CONTENT_LENGTH: '' }, Buffer.from(JSON.stringify({ body: 'x'.repeat(70000) })));
  assert.equal(r.status, 413);
  assert.equal(stored(id), 1);
});

test('the table itself refuses a sixth position, a taken one, and a name with a path or control character', async () => {
  const { c, id } = await newRequest();
  const r = await upload(id, c.tok, 'one.png', 'image/png', PNG);
  assert.equal(r.status, 201, r.text);
  const insert = (position, name) => () => psql(`INSERT INTO refund_attachments
    (refund_id, position, name, content_type, data, uploaded_by)
    VALUES (${Number(id)}, ${position}, '${name}', 'image/png', '\\x89504e47'::bytea, 'test')`);
  assert.throws(insert(6, 'six.png'), /refund_attachments_position_check/);
  assert.throws(insert(1, 'again.png'), /refund_attachments_refund_id_position_key/);
  assert.throws(insert(2, 'a/b.png'), /refund_attachments_name_check/);
  assert.throws(insert(2, 'a\\b.png'), /refund_attachments_name_check/);
  assert.throws(insert(2, "tab' || chr(9) || '.png"), /refund_attachments_name_check/);
  insert(2, 'two.png')();
  assert.equal(psql(`SELECT size || ' ' || sha256 FROM refund_attachments WHERE refund_id = ${Number(id)} AND position = 2`),
    `4 ${sha256(Buffer.from('89504e47', 'hex'))}`, 'size and sha256 derive from the bytes');
});
