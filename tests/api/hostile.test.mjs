// hostile.test.mjs -- bad input everywhere, driven by docs/openapi.yaml
// (DESIGN.md §4: "Unknown fields, wrong types, over-long strings, bodies over
// the limit, invalid UTF-8, and a wrong Content-Type are refused with a clear
// problem, and change nothing").
//
// For every operation that takes a JSON body there is a real target in the
// right state (an order, a policy, refunds in review, payouts, a provider
// claim, made here through the API) and a valid body for it. Hostile
// variants of that body go one at a time: an unknown member, every value of
// every property (nested ones too) that the spec's schema for that property
// refuses (each wrong JSON type, past the bounds, 2^53, too long, empty),
// numbers JSON cannot hold in 64 bits, strings with control characters, a
// NUL, a lone surrogate or invalid UTF-8 bytes (raw bytes, not escapes),
// duplicate keys, a top level that is not an object, 10 000 levels of
// nesting, bodies at and past the size limit, a wrong Content-Type, a
// charset other than UTF-8. Each must be a 4xx problem+json whose code the
// spec lists with that status, and the database must not have moved (a
// fingerprint of every table a request can write, before and after each
// batch). Then the valid body is sent and must succeed, which proves the
// target was real and the refusals were about the input. The same for the
// query parameters of every GET route and the path ids of every route.
// Deterministic: no random values (the run's tag only names its objects).
import { test, before, after } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { spec, codeStatus, checkAnswer } from './openapi.mjs';
import { BASE, RUNDIR, token, iso, nowS, DAY, uid, sleep } from './lib.mjs';

const RUN = uid().replace(/-/g, '');
const PROV = `hx_${RUN}`;                 // this run's provider and product type
const TYPE = `hx_${RUN}`;
const HOLIDAY_YEAR = 2097;                // a year no other test touches
const MAX_BODY = 65536;                   // server.max_body, nginx client_max_body_size 64k

const TOK = {
  system: token(`hx-billing-${RUN}`, 'system'),
  admin: token(`hx-admin-${RUN}`, 'admin'),
  supervisor: token(`hx-lead-${RUN}`, 'supervisor'),
  support: token(`hx-agent-${RUN}`, 'support'),
  finance: token(`hx-fin-${RUN}`, 'finance'),
};
const CUSTOMER = `hx-c-${RUN}`;
TOK.customer = token(CUSTOMER, 'customer');

// ---- the spec's schemas -------------------------------------------------

const SPEC_ID = 'https://refundd.invalid/hostile-openapi.yaml';
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
ajv.addSchema({ ...spec, $id: SPEC_ID });
const validators = new Map();
// Does the schema at JSON pointer ptr (in the spec) accept value?
function accepts(ptr, value) {
  let v = validators.get(ptr);
  if (!v) validators.set(ptr, (v = ajv.compile({ $ref: SPEC_ID + ptr })));
  return v(value);
}

const unescape = (p) => p.replace(/~1/g, '/').replace(/~0/g, '~');
const escape = (p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1');
const at = (ptr) => ptr.slice(2).split('/').map(unescape).reduce((o, k) => o[k], spec);

// A schema's members as one flat view: { ptr, types, props: {name: ptr},
// items: ptr, min, max, maxLength } following $ref, allOf and oneOf/anyOf
// (the nullable pattern), so properties of PolicyInput's allOf are found.
function view(ptr) {
  const s = at(ptr);
  const out = { ptr, types: new Set(), props: {}, items: null };
  const merge = (o) => {
    for (const t of o.types) out.types.add(t);
    Object.assign(out.props, o.props);
    out.items ??= o.items;
    for (const k of ['min', 'max', 'maxLength']) out[k] ??= o[k];
  };
  if (s.$ref) merge(view(s.$ref));
  for (const key of ['allOf', 'oneOf', 'anyOf'])
    (s[key] || []).forEach((_, i) => merge(view(`${ptr}/${key}/${i}`)));
  for (const t of [].concat(s.type || [])) out.types.add(t);
  for (const e of s.enum || []) out.types.add(e === null ? 'null' : typeof e);
  for (const name of Object.keys(s.properties || {})) out.props[name] = `${ptr}/properties/${escape(name)}`;
  if (s.items) out.items = `${ptr}/items`;
  out.min ??= s.minimum;
  out.max ??= s.maximum;
  out.maxLength ??= s.maxLength;
  return out;
}

function bodyPointer(path, method) {
  return `#/paths/${escape(path)}/${method}/requestBody/content/application~1json/schema`;
}

// ---- requests -----------------------------------------------------------

// One request; a 429 of the rate limit is waited out (not an answer to the
// input). Every JSON answer is checked against the spec as api() does.
let sent = 0;
async function send(method, path, { tok, body, contentType, headers = {} } = {}) {
  sent++;
  const h = { ...headers };
  if (tok) h.Authorization = `Bearer ${tok}`;
  if (contentType) h['Content-Type'] = contentType;
  for (;;) {
    const res = await fetch(BASE + path, { method, headers: h, body });
    const text = await res.text();
    if (res.status === 429) { await sleep(250); continue; }
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    checkAnswer(method, path, res.status, res.headers.get('content-type'), json);
    return { status: res.status, type: res.headers.get('content-type') || '', json, text };
  }
}

// A refusal: one of the given statuses, problem+json, a code the spec lists
// with that status (checkAnswer also holds it to the operation's schema).
function assertRefused(r, what, statuses) {
  assert.ok(statuses.includes(r.status), `${what}: expected one of ${statuses}, got ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(r.type, /^application\/problem\+json/, `${what}: ${r.type}`);
  assert.ok(r.json && typeof r.json.code === 'string', `${what}: no code: ${r.text.slice(0, 200)}`);
  assert.equal(codeStatus[r.json.code], r.status, `${what}: code ${r.json.code} is not listed with ${r.status}`);
}

// Everything a request of this API can write: rows added (count, max id)
// and rows changed in place (the latest updated_at, the holidays' text).
// Every change also writes an audit event, so audit_events alone would
// show most; the others make a change without one visible too.
const FINGERPRINT = `SELECT concat_ws(' ',
  (SELECT count(*) || '/' || coalesce(max(id), 0) FROM audit_events),
  (SELECT count(*) || '/' || coalesce(max(id), 0) || '/' || coalesce(max(updated_at)::text, '') FROM refund_requests),
  (SELECT count(*) || '/' || coalesce(max(id), 0) || '/' || coalesce(max(updated_at)::text, '') FROM payouts),
  (SELECT count(*) || '/' || coalesce(max(id), 0) FROM balance_ledger),
  (SELECT count(*) || '/' || coalesce(max(created_at)::text, '') FROM refund_policies),
  (SELECT count(*) || '/' || coalesce(max(created_at)::text, '') FROM provider_policies),
  (SELECT count(*) || '/' || coalesce(max(updated_at)::text, '') FROM orders),
  (SELECT count(*) || '/' || coalesce(sum(amount), 0) FROM order_items),
  (SELECT count(*) || '/' || coalesce(max(id), 0) FROM notifications),
  (SELECT count(*) || '/' || coalesce(max(id), 0) FROM webhook_deliveries),
  (SELECT count(*) || '/' || coalesce(max(id), 0) FROM refund_messages),
  (SELECT count(*) || '/' || coalesce(max(id), 0) || '/' || coalesce(max(updated_at)::text, '') FROM provider_claims),
  (SELECT count(*) FROM idempotency_keys),
  (SELECT md5(coalesce(string_agg(day || kind || name, ',' ORDER BY day), '')) FROM holidays))`;

// One psql session for every fingerprint: starting psql costs as much as a
// hundred requests on a loaded machine, and each batch takes two.
let session = null;
function fingerprint() {
  if (!session) {
    const child = spawn('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname, 'psql_super', RUNDIR,
      '-d', 'refundd', '-At', '-f', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
    session = { child, text: '', waiting: null };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      session.text += d;
      const end = session.text.indexOf('@@fingerprint-end@@\n');
      if (end < 0 || !session.waiting) return;
      const answer = session.text.slice(0, end).trim();
      session.text = session.text.slice(end + '@@fingerprint-end@@\n'.length);
      session.waiting.resolve(answer);
      session.waiting = null;
    });
    child.on('exit', (code) => session?.waiting?.reject(new Error(`psql ended (${code})`)));
  }
  return new Promise((resolve, reject) => {
    session.waiting = { resolve, reject };
    session.child.stdin.write(`${FINGERPRINT};\n\\echo @@fingerprint-end@@\n`);
  });
}
after(() => session?.child.stdin.end());

async function unchanged(what, fn) {
  const before = await fingerprint();
  await fn();
  assert.equal(await fingerprint(), before, `${what}: a refused request changed the database`);
}

// ---- hostile variants of a body -----------------------------------------

const PLACE = '"@@hx-raw@@"';      // where a raw fragment goes into a body

// The body as bytes, with the value at path replaced by raw bytes.
function rawBody(valid, path, raw) {
  const copy = structuredClone(valid);
  setAt(copy, path, '@@hx-raw@@');
  const [left, right] = JSON.stringify(copy).split(PLACE);
  return Buffer.concat([Buffer.from(left), Buffer.from(raw, 'latin1'), Buffer.from(right)]);
}

function setAt(obj, path, value) {
  let o = obj;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = value;
}

// JSON values a property may be offered; those its schema refuses are sent
// (each JSON type, the bounds and past them, 2^53, too long).
function candidates(v) {
  const values = ['x', '', 7, -1, 1.5, true, null, [], {}, '12', 2 ** 53];
  if (v.min !== undefined) values.push(v.min - 1);
  if (v.max !== undefined) values.push(v.max + 1);
  if (v.maxLength !== undefined) values.push('x'.repeat(v.maxLength + 1), '中'.repeat(v.maxLength + 1));
  return values;
}

// Strings no text field takes, whatever its schema says: control
// characters other than tab, line feed and carriage return (C0, DEL, C1).
// Every property gets one; every body gets all (bodyVariants).
const CONTROL = ['a\u0001b', 'a\u001bb', 'a\u007fb', 'a\u009bb'];
// Raw text that is not a JSON value refundd could take: numbers past 64
// bits, and strings that are not valid UTF-8 text or hold a NUL. Every
// property of the type gets the first ones; every body gets all.
const RAW_NUMBERS = ['1e400', '9223372036854775808', '-9223372036854775809', '18446744073709551616'];
const RAW_STRINGS = ['"a\\ud800b"', '"a\\u0000b"', '"a\xffb"', '"a\xed\xa0\x80b"', '"a\\udc00"', '"a\u0001b"',
  '"a\xc0\xafb"', '"a\xe4\xb8"'];
const PER_PROPERTY = { control: 1, numbers: 2, strings: 4 };

// [label, body] for every hostile value of every property, walking into
// objects and into the first item of arrays of the valid body; prefix only
// names the property in the label.
function propertyVariants(ptr, valid, prefix = []) {
  const out = [];
  const v = view(ptr);
  const variant = (label, key, value) => {
    const body = structuredClone(valid);
    setAt(body, key, value);
    out.push([`${label} = ${JSON.stringify(value).slice(0, 40)}`, JSON.stringify(body)]);
  };
  for (const [name, pptr] of Object.entries(v.props)) {
    if (!(name in valid)) continue;
    const p = view(pptr);
    const label = [...prefix, name].join('.');
    for (const value of candidates(p))
      if (!accepts(pptr, value)) variant(label, [name], value);
    const every = prefix.length === 0 && name === firstOf(v, valid, 'string');
    if (p.types.has('string'))
      for (const s of CONTROL.slice(0, every ? undefined : PER_PROPERTY.control)) variant(label, [name], s);
    const raws = p.types.has('string') ? RAW_STRINGS.slice(0, every ? undefined : PER_PROPERTY.strings)
      : p.types.has('integer') ? RAW_NUMBERS.slice(0, prefix.length === 0 && name === firstOf(v, valid, 'integer')
        ? undefined : PER_PROPERTY.numbers) : [];
    for (const raw of raws)
      out.push([`${label} = raw ${JSON.stringify(raw)}`, rawBody(valid, [name], raw)]);
    const inner = valid[name];
    if (p.types.has('object') && inner && typeof inner === 'object' && !Array.isArray(inner))
      for (const [l, b] of propertyVariants(pptr, inner, [...prefix, name]))
        out.push([l, rewrap(valid, [name], b)]);
    if (p.items && Array.isArray(inner) && inner.length > 0) {
      if (view(p.items).types.has('object'))
        for (const [l, b] of propertyVariants(p.items, inner[0], [...prefix, name, 0]))
          out.push([l, rewrap(valid, [name, 0], b)]);
      else
        for (const value of candidates(view(p.items)))
          if (!accepts(p.items, value)) variant(`${label}[0]`, [name, 0], value);
    }
  }
  return out;
}

// The first property of the body of a type: it gets every raw value.
function firstOf(v, valid, type) {
  return Object.keys(v.props).find((n) => n in valid && view(v.props[n]).types.has(type));
}

// A variant of an inner object put back into the whole body: the inner
// variant is bytes, so it is spliced in as raw text.
function rewrap(valid, path, innerBytes) {
  const copy = structuredClone(valid);
  setAt(copy, path, '@@hx-raw@@');
  const [left, right] = JSON.stringify(copy).split(PLACE);
  return Buffer.concat([Buffer.from(left), Buffer.from(innerBytes), Buffer.from(right)]);
}

// Variants of the body as a whole.
function bodyVariants(valid) {
  const text = JSON.stringify(valid);
  const first = Object.keys(valid)[0];
  const pad = (n, member) => {
    const base = member ? { ...valid, zz_pad: '' } : valid;
    const t = JSON.stringify(base);
    return member ? t.replace('"zz_pad":""', `"zz_pad":"${'x'.repeat(n - t.length)}"`) : t + ' '.repeat(n - t.length);
  };
  return [
    ['an unknown member', JSON.stringify({ ...valid, zz_unknown: 1 })],
    ['an unknown member that is null', JSON.stringify({ ...valid, zz_unknown: null })],
    ['a member with an empty name', JSON.stringify({ ...valid, '': 1 })],
    ['a duplicate key', `{${JSON.stringify(first)}:${JSON.stringify(valid[first])},${text.slice(1)}`],
    ['a duplicate key, the second one different', `${text.slice(0, -1)},${JSON.stringify(first)}:"zz"}`],
    ['the top level an array', `[${text}]`],
    ['the top level a string', JSON.stringify(text)],
    ['the top level a number', '1'],
    ['the top level null', 'null'],
    ['the top level true', 'true'],
    ['an empty body', ''],
    ['whitespace only', ' \n'],
    ['two JSON values', `${text} {}`],
    ['a trailing comma', `${text.slice(0, -1)},}`],
    ['single quotes', text.replace(/"/g, "'")],
    ['a comment', `/* x */${text}`],
    ['a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    ['UTF-16', Buffer.from(text, 'utf16le')],
    ['10 000 [', '['.repeat(10000)],
    ['10 000 nested objects', '{"a":'.repeat(10000) + '1' + '}'.repeat(10000)],
    ['an unknown member holding 10 000 [', `${text.slice(0, -1)},"zz":${'['.repeat(10000)}${']'.repeat(10000)}}`],
    [`exactly ${MAX_BODY} bytes with an unknown member`, pad(MAX_BODY, true)],
    [`the valid body padded to ${MAX_BODY + 1} bytes`, pad(MAX_BODY + 1, false)],
  ];
}

// The first operation gets them all, the others the first four (one
// parser, server.c's, reads every JSON body).
const CONTENT_TYPES = ['text/plain', 'application/json; charset=iso-8859-1', '', 'application/json garbage',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/jsonx', 'application/json-patch+json', 'application/xml', 'json',
  'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json; charset="utf-16le"',
  'application/json; charset=', 'application/json; charset=utf-8; charset=latin1'];

// ---- the targets ----------------------------------------------------------

const POLICY = {
  refundable: true, window_rule: 'full', window_days: 30, window_requires_unused: false,
  after_window: 'none', handling_fee_bps: 0, deduct_third_party: false, promo_refundable: false,
  monthly_limit: 0, payout_methods: ['original_route', 'balance'], payout_default: 'original_route',
  payout_methods_after_window: ['balance'], payout_default_after_window: 'balance', review_sla_days: 3,
  auto_approve_max: 0, second_approval_over: 100000000, limits_currency: 'CNY', note: 'hostile test',
};
const PROVIDER_RULE = { refundable: true, window_rule: 'full', window_days: 30, window_requires_unused: false,
  after_window: 'none', fee_bps: 0, vouchers_refundable: false, note: 'hostile test' };

let seq = 0;
function order(overrides = {}) {
  const paid = nowS() - 2 * DAY;
  return {
    account: CUSTOMER, provider: PROV, product_type: TYPE, product_name: 'Hostile 资源包',
    billing_mode: 'one_time', status: 'paid', amount_paid: 10000, currency: 'CNY',
    payment_method: 'alipay', payment_ref: `pay-${RUN}-${++seq}`, paid_at: iso(paid),
    period_start: iso(paid), period_end: iso(paid + 30 * DAY), quantity: 100, bonus_quantity: 0,
    used_quantity: 0, in_use: false, service_status: 'in_progress', promo: false, third_party_cost: 0,
    upstream_ref: `up-${RUN}-${seq}`, upstream_cost: 8000, upstream_voucher: 0, upstream_paid_at: iso(paid),
    upstream_quantity: 100, upstream_used_quantity: 0,
    items: [{ item_no: 1, name: 'credits', status: 'paid', amount: 10000 }],
    ...overrides,
  };
}

async function ok(r, what, statuses = [200, 201]) {
  r = await r;
  assert.ok(statuses.includes(r.status), `${what}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}
const json = (method, path, tok, body, headers) =>
  send(method, path, { tok, body: JSON.stringify(body), contentType: 'application/json', headers });

async function newOrder(overrides) {
  const id = `HX-${RUN}-${++seq}`;
  await ok(json('PUT', `/api/v1/orders/${id}`, TOK.system, order(overrides)), `order ${id}`);
  return id;
}
async function newRefund(method = 'original_route') {
  const orderId = await newOrder();
  const r = await ok(json('POST', '/api/v1/refunds', TOK.customer,
    { order_id: orderId, reason_code: 'changed_mind', payout_method: method },
    { 'Idempotency-Key': `hx-${RUN}-${++seq}` }), 'submit');
  return { id: r.id, orderId, amount: r.quoted_amount ?? r.quote.amount };
}
const act = (id, action, tok, body = {}) => ok(json('POST', `/api/v1/refunds/${id}/${action}`, tok, body), action);

const T = {};       // the targets, made in before()

before(async () => {
  await ok(json('PUT', `/api/v1/policies/${TYPE}`, TOK.admin, POLICY), 'policy');
  await ok(json('PUT', `/api/v1/provider-policies/${PROV}/${TYPE}`, TOK.admin, PROVIDER_RULE), 'provider rule');
  T.syncOrder = await newOrder();
  T.submitOrder = await newOrder();
  T.quote = (await ok(send('GET', `/api/v1/orders/${T.submitOrder}/quote`, { tok: TOK.customer }), 'quote')).amount;
  T.talk = await newRefund();                     // messages, then request-info
  await act(T.talk.id, 'claim', TOK.support);
  T.approve = await newRefund();                  // approve, payout, settle, the claim
  await act(T.approve.id, 'claim', TOK.support);
  T.reject = await newRefund();                   // reject, then appeal
  await act(T.reject.id, 'claim', TOK.support);
  T.fail = await newRefund();                     // a payout to fail
  await act(T.fail.id, 'claim', TOK.support);
  await act(T.fail.id, 'approve', TOK.support, { amount: T.fail.amount });
  const paying = await act(T.fail.id, 'payout', TOK.finance);
  T.failPayout = paying.payouts[paying.payouts.length - 1].id;
});

// Each operation: [method, spec path, real path, role, valid body, extra
// headers, what must happen first (the earlier operation's success)].
function operations() {
  return [
    ['put', '/api/v1/orders/{id}', () => `/api/v1/orders/${T.syncOrder}`, 'system', () => order()],
    ['post', '/api/v1/orders/{id}/usage', () => `/api/v1/orders/${T.syncOrder}/usage`, 'system',
      () => ({ used_quantity: 10, in_use: false, service_status: 'in_progress' })],
    // A version unlike the current one (the same rules again add none).
    ['put', '/api/v1/policies/{product_type}', () => `/api/v1/policies/${TYPE}`, 'admin',
      () => ({ ...POLICY, note: 'hostile test, version 2' })],
    ['post', '/api/v1/policies/{product_type}/simulate', () => `/api/v1/policies/${TYPE}/simulate`, 'supervisor',
      () => ({ policy: POLICY, from: iso(nowS() - 30 * DAY), to: iso(nowS()) })],
    ['put', '/api/v1/holidays', () => '/api/v1/holidays', 'admin',
      () => ({ year: HOLIDAY_YEAR, days: [{ day: `${HOLIDAY_YEAR}-01-01`, kind: 'holiday', name: '元旦' }] })],
    ['put', '/api/v1/provider-policies/{provider}/{product_type}', () => `/api/v1/provider-policies/${PROV}/${TYPE}`,
      'admin', () => ({ ...PROVIDER_RULE, note: 'hostile test, version 2' })],
    ['post', '/api/v1/refunds', () => '/api/v1/refunds', 'customer',
      () => ({ order_id: T.submitOrder, reason_code: 'changed_mind', reason_text: '买错了', payout_method: 'original_route',
        expected_amount: T.quote }), { 'Idempotency-Key': `hx-submit-${RUN}` }],
    ['post', '/api/v1/refunds/{id}/messages', () => `/api/v1/refunds/${T.talk.id}/messages`, 'customer',
      () => ({ body: '发票在附件里' })],
    ['post', '/api/v1/refunds/{id}/request-info', () => `/api/v1/refunds/${T.talk.id}/request-info`, 'support',
      () => ({ message: 'please send the receipt' })],
    ['post', '/api/v1/refunds/{id}/approve', () => `/api/v1/refunds/${T.approve.id}/approve`, 'support',
      () => ({ amount: T.approve.amount, payout_method: 'original_route', note: 'ok' })],
    ['post', '/api/v1/provider-claims/{id}/filed', () => `/api/v1/provider-claims/${T.claim}/filed`, 'finance',
      () => ({ claim_ref: `PC-${RUN}` })],
    ['post', '/api/v1/refunds/{id}/payout', () => `/api/v1/refunds/${T.approve.id}/payout`, 'finance',
      () => ({ payout_method: 'original_route' })],
    ['post', '/api/v1/payouts/{id}/settle', () => `/api/v1/payouts/${T.settlePayout}/settle`, 'system',
      () => ({ channel_ref: `CH-${RUN}` })],
    ['post', '/api/v1/payouts/{id}/fail', () => `/api/v1/payouts/${T.failPayout}/fail`, 'system',
      () => ({ reason: 'the bank refused the account' })],
    ['post', '/api/v1/refunds/{id}/reject', () => `/api/v1/refunds/${T.reject.id}/reject`, 'support',
      () => ({ reason_code: 'policy_ineligible', note: 'outside the rules' })],
    ['post', '/api/v1/refunds/{id}/appeal', () => `/api/v1/refunds/${T.reject.id}/appeal`, 'customer',
      () => ({ message: '请再看一下' })],
  ];
}

// What the valid body's success leaves for the next operations.
function afterSuccess(path, answer) {
  if (path === '/api/v1/refunds/{id}/approve') T.claim = answer.provider_figures?.claim?.id;
  if (path === '/api/v1/refunds/{id}/payout') T.settlePayout = answer.payouts[answer.payouts.length - 1].id;
}

test('every JSON body operation of the spec has hostile variants here', () => {
  const covered = new Set(operations().map(([m, p]) => `${m} ${p}`));
  for (const [path, ops] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(ops))
      if (op?.requestBody?.content?.['application/json'])
        assert.ok(covered.has(`${method} ${path}`), `${method.toUpperCase()} ${path} has no target here`);
});

for (const [method, path, real, role, validBody, headers = {}] of operations()) {
  test(`${method.toUpperCase()} ${path}: hostile bodies are refused and change nothing`, async (t) => {
    const start = sent;
    t.after(() => t.diagnostic(`${sent - start} requests`));
    const url = real();
    assert.doesNotMatch(url, /undefined/, 'the target an earlier operation makes is missing');
    const valid = validBody();
    const M = method.toUpperCase();
    const tok = TOK[role];
    const variants = [...bodyVariants(valid), ...propertyVariants(bodyPointer(path, method), valid)];
    assert.ok(variants.length > 20, `${variants.length} variants`);
    const before = await fingerprint();
    await unchanged(`${M} ${path}`, async () => {
      for (const [label, body] of variants) {
        const r = await send(M, url, { tok, body, contentType: 'application/json', headers });
        assertRefused(r, `${M} ${path} with ${label}`, [400, 413, 422]);
      }
      const text = JSON.stringify(valid);
      for (const ct of CONTENT_TYPES.slice(0, path === operations()[0][1] ? undefined : 4)) {
        const r = await send(M, url, { tok, body: text, contentType: ct || undefined, headers });
        assertRefused(r, `${M} ${path} as Content-Type ${JSON.stringify(ct)}`, [415]);
      }
    });
    // The same body, valid, in UTF-8 said twice ways: it is taken.
    const r = await send(M, url, { tok, body: JSON.stringify(valid), contentType: 'application/json; charset=UTF-8', headers });
    assert.ok(r.status >= 200 && r.status < 300, `${M} ${path}: the valid body was refused: ${r.status} ${r.text.slice(0, 300)}`);
    afterSuccess(path, r.json);
    // The fingerprint sees what the operation writes (a simulation writes nothing).
    if (path.endsWith('/simulate')) assert.equal(await fingerprint(), before, 'a simulation wrote something');
    else assert.notEqual(await fingerprint(), before, `${M} ${path}: the fingerprint missed its write`);
  });
}

// ---- query parameters -----------------------------------------------------

const ROLE_ORDER = ['admin', 'supervisor', 'finance', 'support', 'system', 'customer'];
const roleFor = (op) => ROLE_ORDER.find((r) => (op['x-roles'] || []).includes(r));

// Raw query values no parameter takes (bad percent-encoding, bytes that are
// not UTF-8 once decoded, NUL and other control characters).
const RAW_QUERY = ['%zz', '%', '%4', '%ff', '%C0%AF', '%ED%A0%80', '%E0%80%80', '%F4%90%80%80', '%00', 'a%00b',
  '%01', '%1B', '%7F', '%C2%9B'];
// Decoded values, sent when the parameter's schema refuses them.
const QUERY_VALUES = ['', 'x', '-1', '0', '1e3', '1.5', '+1', ' 1', '0x10', '99999999999999999999',
  '9223372036854775808', '18446744073709551616', 'a'.repeat(300), '2026-02-30', '2026-13-01', '2026-02-30T00:00:00Z',
  '2026-01-01T25:00:00Z', '12345-01-01T00:00:00Z', 'nope!', '中文'];

function queryRefuses(schema, value) {
  const v = view(schema);
  if (v.types.has('integer')) {
    if (!/^(0|-?[1-9][0-9]*)$/.test(value)) return true;
    const n = Number(value);
    return !Number.isSafeInteger(n) || (v.min !== undefined && n < v.min) || (v.max !== undefined && n > v.max);
  }
  if (v.types.has('boolean')) return value !== 'true' && value !== 'false';
  return !accepts(schema, value);
}

function getOperations() {
  const out = [];
  for (const [path, ops] of Object.entries(spec.paths)) {
    const op = ops.get;
    if (!op || path === '/metrics') continue;
    const params = (op.parameters || []).map((p, i) => {
      const ptr = p.$ref || `#/paths/${escape(path)}/get/parameters/${i}`;
      return { ...at(ptr), ptr };
    });
    out.push({ path, op, params });
  }
  return out;
}

// A real path for a GET template: ids of this run's objects.
function realPath(path) {
  return path.replace('{id}', path.startsWith('/api/v1/orders') ? T.syncOrder : String(T.talk.id))
    .replace('{aid}', '1').replace('{product_type}', TYPE).replace('{provider}', PROV);
}

test('GET query parameters: every value the spec refuses is a 400 problem, nothing written', async () => {
  let sent = 0;
  await unchanged('GET query parameters', async () => {
    for (const { path, op, params } of getOperations()) {
      const tok = TOK[roleFor(op)];
      for (const p of params.filter((x) => x.in === 'query')) {
        const ptr = `${p.ptr}/schema`;
        const values = [...RAW_QUERY, ...QUERY_VALUES.filter((v) => queryRefuses(ptr, v))
          .map((v) => encodeURIComponent(v))];
        for (const value of values) {
          const url = `${realPath(path)}?${p.name}=${value}`;
          // The export (GET /payouts as CSV) writes: asked for here too.
          for (const accept of path === '/api/v1/payouts' ? ['application/json', 'text/csv'] : ['application/json']) {
            const r = await send('GET', url, { tok, headers: { Accept: accept } });
            assertRefused(r, `GET ${url} (${accept})`, [400]);
            sent++;
          }
        }
      }
    }
  });
  assert.ok(sent > 200, `${sent} requests`);
});

// The other side of each bound: a text of exactly maxLength characters,
// each of three bytes in UTF-8, is taken (the limits count characters, as
// the spec's maxLength and the database's length() do).
function maxima(ptr, valid, prefix = []) {
  const out = [];
  for (const [name, pptr] of Object.entries(view(ptr).props)) {
    if (!(name in valid)) continue;
    const p = view(pptr);
    const longest = p.maxLength === undefined ? null : '中'.repeat(p.maxLength);
    if (longest !== null && accepts(pptr, longest)) {
      const body = structuredClone(valid);
      body[name] = longest;
      out.push([[...prefix, name].join('.'), body]);
    }
    if (p.items && Array.isArray(valid[name]) && view(p.items).types.has('object'))
      for (const [l, inner] of maxima(p.items, valid[name][0], [...prefix, name, 0])) {
        const body = structuredClone(valid);
        body[name][0] = inner;
        out.push([l, body]);
      }
  }
  return out;
}

test('texts of the documented maximum length are taken', async () => {
  const cases = [
    ['put', '/api/v1/orders/{id}', () => `/api/v1/orders/HX-${RUN}-max-${++seq}`, 'system', order()],
    ['put', '/api/v1/policies/{product_type}', () => `/api/v1/policies/${TYPE}`, 'admin', POLICY],
    ['put', '/api/v1/provider-policies/{provider}/{product_type}', () => `/api/v1/provider-policies/${PROV}/${TYPE}`,
      'admin', PROVIDER_RULE],
    ['put', '/api/v1/holidays', () => '/api/v1/holidays', 'admin',
      { year: HOLIDAY_YEAR, days: [{ day: `${HOLIDAY_YEAR}-01-01`, kind: 'holiday', name: '元旦' }] }],
    ['post', '/api/v1/refunds/{id}/messages', () => `/api/v1/refunds/${T.talk.id}/messages`, 'support', { body: 'x' }],
  ];
  let sent = 0;
  for (const [method, path, url, role, valid] of cases)
    for (const [label, body] of maxima(bodyPointer(path, method), valid)) {
      const where = url();
      await ok(json(method.toUpperCase(), where, TOK[role], body), `${method.toUpperCase()} ${where} with the longest ${label}`);
      sent++;
    }
  assert.ok(sent >= 8, `${sent} texts`);
});

// Routes that take no body refuse one rather than ignore it (README, API):
// a member is 422 unknown_field, anything not a JSON object 400, another
// type or charset 415; the state stays as it was. (Past the size limit
// nginx answers 413, which the spec documents only for routes with a body.)
test('POST routes without a body refuse hostile bodies before acting', async () => {
  const fresh = await newRefund();
  const unpaid = await newOrder({ status: 'unpaid', paid_at: null, amount_paid: 0, payment_method: 'alipay',
    items: [{ item_no: 1, name: 'credits', status: 'unpaid', amount: 0 }] });
  const targets = [
    [`/api/v1/orders/${unpaid}/cancel`, 'customer'],
    [`/api/v1/refunds/${fresh.id}/withdraw`, 'customer'],
    [`/api/v1/refunds/${fresh.id}/confirm`, 'customer'],
    [`/api/v1/refunds/${fresh.id}/decline`, 'customer'],
    [`/api/v1/refunds/${fresh.id}/claim`, 'support'],
  ];
  const bodies = [
    ['application/json', '{"zz":1}', [422]], ['application/json', '{"assignee":"me"}', [422]],
    ['application/json', '[]', [400]], ['application/json', '"x"', [400]], ['application/json', 'null', [400]],
    ['application/json', '{"a":'.repeat(10000), [400]], ['application/json', Buffer.from([0x7b, 0xff, 0x7d]), [400]],
    ['text/plain', 'x', [415]],
    ['application/json; charset=iso-8859-1', '{}', [415]], [undefined, '{}', [415]],
  ];
  await unchanged('POST without a body', async () => {
    for (const [url, role] of targets)
      for (const [contentType, body, statuses] of bodies)
        assertRefused(await send('POST', url, { tok: TOK[role], body, contentType }),
          `POST ${url} with ${contentType} ${String(body).slice(0, 20)}`, statuses);
  });
  // {} is no body to refuse: the withdrawal goes through.
  await ok(json('POST', `/api/v1/refunds/${fresh.id}/withdraw`, TOK.customer, {}), 'withdraw with {}');
});

// A time the schema takes (an RFC 3339 date-time) that no payment can
// have: in the future. At 9999-12-31 the quote's window_ends_at came out
// as "10000-01-05T23:59:59Z", which is no RFC 3339 time at all.
test('a payment time in the future is refused, the order unchanged', async () => {
  await unchanged('future payment times', async () => {
    for (const field of ['paid_at', 'upstream_paid_at'])
      for (const when of ['9999-12-31T23:59:59Z', iso(nowS() + DAY)]) {
        const r = await json('PUT', `/api/v1/orders/${T.syncOrder}`, TOK.system, order({ [field]: when }));
        assertRefused(r, `${field} = ${when}`, [422]);
        assert.equal(r.json.field, field);
      }
  });
  // A clock a little ahead of refundd's is no future payment.
  await ok(json('PUT', `/api/v1/orders/${T.syncOrder}`, TOK.system, order({ paid_at: iso(nowS() + 60) })), 'paid a minute ahead');
});

// The CSV answers are whole lists: a limit or cursor there would be
// ignored, and the payout export would mark every pending payout sent for
// a caller who asked for one page.
test('CSV lists take no limit or cursor: 400 before anything is exported', async () => {
  await unchanged('CSV with a page', async () => {
    for (const path of ['/api/v1/payouts', '/api/v1/provider-claims'])
      for (const query of ['limit=1', 'cursor=1', 'limit=%zz', 'cursor=x'])
        assertRefused(await send('GET', `${path}?${query}`, { tok: TOK.finance, headers: { Accept: 'text/csv' } }),
          `GET ${path}?${query} as CSV`, [400]);
  });
});

// ---- path ids -------------------------------------------------------------

// Values for a path parameter: numeric ids get the numbers; every
// parameter gets what no id can be (a slash, bytes that are not UTF-8, NUL,
// dot segments, over-long).
const NUMERIC_IDS = ['0', '-1', '01', '+1', '1.0', '1e3', '9223372036854775807', '9223372036854775808',
  '99999999999999999999', '18446744073709551616', 'abc', '%20', '%2e%2e'];
const ANY_IDS = ['1%2F2', 'a%2Fb', '%2F', '%ff', '%C0%AF', '%ED%A0%80', '%00', '%01', 'a%0Ab', 'x'.repeat(300)];

test('path ids: numbers past 64 bits, non-digits, encoded slashes, bad bytes are 4xx, nothing written', async () => {
  let sent = 0;
  const bodies = new Map(operations().map(([m, p, , , body]) => [`${m} ${p}`, body]));
  await unchanged('path ids', async () => {
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op?.responses) continue;
        const params = (op.parameters || []).map((p) => (p.$ref ? at(p.$ref) : p))
          .filter((p) => p.in === 'path');
        const named = [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
        if (named.length === 0) continue;
        const body = bodies.get(`${method} ${path}`);
        const M = method.toUpperCase();
        for (const name of named) {
          const p = params.find((x) => x.name === name);
          const numeric = p && /\[1-9\]/.test(p.schema?.pattern || '');
          for (const value of [...(numeric ? NUMERIC_IDS : []), ...ANY_IDS]) {
            const url = realPath(path.replace(`{${name}}`, value));
            const r = await send(M, url, {
              tok: TOK[roleFor(op)], body: body ? JSON.stringify(body()) : undefined,
              contentType: body ? 'application/json' : undefined,
              headers: path === '/api/v1/refunds/{id}/attachments' ? { 'Content-Type': 'image/png' } : {},
            });
            assertRefused(r, `${M} ${url}`, [400, 404, 422]);
            sent++;
          }
        }
      }
    }
  });
  assert.ok(sent > 100, `${sent} requests`);
});
