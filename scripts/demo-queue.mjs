// scripts/demo-queue.mjs -- a lived-in demo: a dozen refund requests of
// several customers in every state a desk sees (new, claimed, waiting for
// information, overdue, waiting for a second approval, rejected, appealed,
// awaiting the customer's confirmation, approved, paying, paid, withdrawn),
// made through the API like real ones, so each carries its timeline, audit
// events, notifications and payouts. scripts/run loads it after
// sql/demo/010_demo.sql; scripts/test loads it too, so the browser tests
// open a real queue.
//   node scripts/demo-queue.mjs URL RUNDIR REFUNDD_BINARY
// Tokens come from `refundd token` (the configuration's own key). A second
// run changes nothing: a case whose order exists is skipped.
import { execFileSync } from 'node:child_process';

const [URL, RUNDIR, BIN] = process.argv.slice(2);
if (!URL || !RUNDIR || !BIN) throw new Error('usage: demo-queue.mjs URL RUNDIR REFUNDD_BINARY');
const LIB = new globalThis.URL('./lib.sh', import.meta.url).pathname;
const DAY = 86400000;

const tokens = new Map();
function token(sub, role) {
  const key = `${sub}/${role}`;
  if (!tokens.has(key))
    tokens.set(key, execFileSync(BIN, ['token', '--sub', sub, '--role', role, '--ttl', '3600']).toString().trim());
  return tokens.get(key);
}
const SYSTEM = () => token('billing', 'system');
const AGENT = () => token('agent-li', 'support');
const LEAD = () => token('lead-wang', 'supervisor');
const LEAD2 = () => token('lead-zhao', 'supervisor');
const FINANCE = () => token('fin-chen', 'finance');

async function call(method, path, tok, body, headers = {}) {
  const res = await fetch(URL + path, { method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { Authorization: `Bearer ${tok}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers } });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// One order per request: the monthly limit is per account and product type.
function order(id, account, o) {
  const now = Date.now();
  return call('PUT', `/api/v1/orders/${id}`, SYSTEM(), {
    account, provider: o.provider || 'aliyun', product_type: o.type, product_name: o.name,
    billing_mode: o.mode || 'one_time', status: 'paid', amount_paid: o.amount, currency: 'CNY',
    payment_method: o.pay || 'alipay', payment_ref: `PAY-${id}`, paid_at: iso(now - (o.daysAgo || 2) * DAY),
    quantity: o.quantity || 0, bonus_quantity: 0, used_quantity: o.used || 0, in_use: false, promo: false,
    third_party_cost: 0,
    ...(o.mode === 'subscription' ? { period_start: iso(now - (o.daysAgo || 2) * DAY),
      period_end: iso(now - (o.daysAgo || 2) * DAY + 365 * DAY) } : {}),
  });
}

async function submit(id, account, reason, text, payout = 'original_route') {
  const tok = token(account, 'customer');
  const q = await call('GET', `/api/v1/orders/${id}/quote`, tok);
  return call('POST', '/api/v1/refunds', tok, { order_id: id, reason_code: reason, reason_text: text,
    payout_method: payout, expected_amount: q.amount }, { 'Idempotency-Key': `demo-${id}` });
}

const act = (r, action, tok, body) => call('POST', `/api/v1/refunds/${r.id}/${action}`, tok, body);

// Each: the order, the customer's request, then the desk's steps so far.
const CASES = [
  ['DEMO-Q-01', 'demo-carol', { type: 'api_credits', name: 'API 调用资源包 50 万次', amount: 250000, quantity: 500000 },
    'bought_by_mistake', '买错了套餐，还没有用过。', async () => {}],
  ['DEMO-Q-02', 'demo-dave', { type: 'saas_app', name: '云市场 SaaS 客服系统 标准版', amount: 69900, pay: 'wechat', provider: 'huaweicloud' },
    'changed_mind', 'We chose another helpdesk product.', async () => {}],
  ['DEMO-Q-03', 'demo-erin', { type: 'cloud_server', name: 'ECS 云服务器 4核8G 包年', amount: 360000, mode: 'subscription', pay: 'card' },
    'changed_mind', '项目取消，服务器不再需要。', async (r) => act(r, 'claim', AGENT())],
  ['DEMO-Q-04', 'demo-frank', { type: 'traffic_package', name: '共享流量包 500GB', amount: 45000, quantity: 500 },
    'not_as_described', '流量包无法抵扣 CDN 流量。', async (r) => {
      await act(r, 'claim', AGENT());
      await act(r, 'request-info', AGENT(), { message: '请提供 CDN 账单截图，以便核实抵扣情况。' });
    }],
  ['DEMO-Q-05', 'demo-grace', { type: 'api_credits', name: 'API 调用资源包 20 万次', amount: 98000, quantity: 200000, pay: 'card' },
    'bought_by_mistake', 'Ordered twice by accident.', async (r) => act(r, 'claim', LEAD()), 'overdue'],
  ['DEMO-Q-06', 'demo-henry', { type: 'api_credits', name: 'API 调用资源包 1000 万次', amount: 1200000, quantity: 10000000, provider: 'huaweicloud' },
    'changed_mind', '预算调整，整包退回。', async (r) => {
      await act(r, 'claim', LEAD());
      await act(r, 'approve', LEAD(), { note: '金额超过二级审批线，请第二位主管复核。' });
    }],
  ['DEMO-Q-07', 'demo-carol', { type: 'saas_app', name: '云市场 网站模板 企业版', amount: 29900 },
    'not_as_described', '模板与演示不一致。', async (r) => {
      await act(r, 'claim', AGENT());
      await act(r, 'reject', AGENT(), { reason_code: 'policy_ineligible', note: '模板已下载使用，不在无理由退款范围内。' });
      await act(r, 'appeal', token('demo-carol', 'customer'), { message: '下载后无法使用，并非正常使用，请复核。' });
    }],
  ['DEMO-Q-08', 'demo-dave', { type: 'traffic_package', name: '共享流量包 100GB', amount: 12000, quantity: 100, provider: 'huaweicloud' },
    'changed_mind', 'Switched to pay-as-you-go.', async (r) => {
      await act(r, 'claim', AGENT());
      await act(r, 'approve', AGENT(), { amount: 9000, note: '已使用部分按比例扣除，请确认金额。' });
    }],
  ['DEMO-Q-09', 'demo-erin', { type: 'api_credits', name: 'API 调用资源包 5 万次', amount: 25000, quantity: 50000, pay: 'wechat' },
    'bought_by_mistake', '重复购买。', async (r) => {
      await act(r, 'claim', AGENT());
      await act(r, 'approve', AGENT(), {});
    }],
  ['DEMO-Q-10', 'demo-frank', { type: 'saas_app', name: '云市场 数据备份工具 年付', amount: 58000, pay: 'card' },
    'service_problem', '备份任务一直失败。', async (r) => {
      await act(r, 'claim', AGENT());
      await act(r, 'approve', AGENT(), {});
      await act(r, 'payout', FINANCE());
    }],
  ['DEMO-Q-11', 'demo-grace', { type: 'saas_app', name: '云市场 SSL 证书管理 标准版', amount: 16800 },
    'changed_mind', 'No longer needed.', async (r) => {
      await act(r, 'claim', AGENT());
      await act(r, 'approve', AGENT(), {});
      await act(r, 'payout', FINANCE());
      const full = await call('GET', `/api/v1/refunds/${r.id}`, FINANCE());
      const payout = (full.payouts || []).find((p) => p.status === 'pending' || p.status === 'sent');
      await call('POST', `/api/v1/payouts/${payout.id}/settle`, SYSTEM(), {});
    }],
  ['DEMO-Q-12', 'demo-henry', { type: 'saas_app', name: '云市场 在线问卷 专业版', amount: 9900, pay: 'wechat' },
    'changed_mind', '先不买了。', async (r) => act(r, 'withdraw', token('demo-henry', 'customer'))],
];

async function main() {
  for (const [id, account, o, reason, text, steps, extra] of CASES) {
    const known = await fetch(`${URL}/api/v1/orders/${id}`, { headers: { Authorization: `Bearer ${LEAD()}` } });
    if (known.status === 200) continue;
    await order(id, account, o);
    const r = await submit(id, account, reason, text);
    await steps(r);
    // Overdue: the decision was due two business days ago. The API never
    // backdates a request, so the demo does it in SQL, as the clock would.
    if (extra === 'overdue')
      execFileSync('bash', [LIB, 'psql_super', RUNDIR, '-d', 'refundd', '-qAt', '-c',
        `UPDATE refund_requests SET created_at = now() - interval '6 days',
           due_at = now() - interval '2 days' WHERE id = '${Number(r.id)}'`]);
  }
  const states = await call('GET', '/api/v1/refunds?limit=100', LEAD());
  const mine = states.items.filter((x) => String(x.order_id).startsWith('DEMO-Q-'));
  console.log(`demo queue: ${mine.length} requests: ${[...new Set(mine.map((x) => x.status))].sort().join(', ')}`);
}

await main();
