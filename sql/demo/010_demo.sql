-- 010_demo.sql -- demo data for scripts/run and the API tests: a policy for
-- every product type of DESIGN.md §3 with the seed documents' numbers, and
-- orders that reproduce every row of that table and both cases of seed 000.
-- Not a migration: production loads its policies through PUT /api/v1/policies.
-- Idempotent: running it again resets the demo orders and adds no policy twice.
BEGIN;

INSERT INTO refund_policies (product_type, version, refundable, window_rule, window_days,
    window_requires_unused, after_window, handling_fee_bps, deduct_third_party,
    promo_refundable, monthly_limit, payout_methods, payout_default,
    payout_methods_after_window, payout_default_after_window, review_sla_days,
    auto_approve_max, second_approval_over, note, created_by)
VALUES
 -- 000: 30 days no reason, full, back to the original method (case 1); after it,
 -- unused credits by actual usage, to the account balance (case 2); 1-3 business days.
 ('api_credits', 1, true, 'full', 30, false, 'prorata_usage', 0, false, true, 0,
  '{original_route}', 'original_route', '{balance}', 'balance', 3, 0, 500000,
  'seed 000', 'demo-seed'),
 -- 001, 002: 5 days from payment, full; after it only the unused time, negotiated
 -- with support; one request a month; promotions excluded; third-party costs deducted.
 ('cloud_server', 1, true, 'full', 5, false, 'negotiate', 0, true, false, 1,
  '{original_route,balance}', 'original_route', '{original_route,balance}', 'original_route',
  3, 0, 300000, 'seeds 001, 002', 'demo-seed'),
 -- 002: pay-as-you-go is billed after use: nothing to refund.
 ('cloud_server_payg', 1, false, 'full', 0, false, 'none', 0, false, false, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 0,
  'seed 002', 'demo-seed'),
 -- 004: unused paid traffic, within the window (the seed names no number of days;
 -- 7 is this reseller's), back to the original account; used and gifted traffic never.
 ('traffic_package', 1, true, 'unused_units', 7, false, 'none', 0, false, true, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 300000,
  'seed 004', 'demo-seed'),
 -- 003: SaaS apps, 5 days no reason, none after.
 ('saas_app', 1, true, 'full', 5, false, 'none', 0, false, true, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 300000,
  'seed 003', 'demo-seed'),
 -- 003: services, full while in progress, none once completed.
 ('marketplace_service', 1, true, 'service_in_progress', 0, false, 'none', 0, false, true, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 300000,
  'seed 003', 'demo-seed'),
 -- 003: image subscriptions, 5 days and not in use.
 ('image_subscription', 1, true, 'full', 5, true, 'none', 0, false, true, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 300000,
  'seed 003', 'demo-seed'),
 ('image_payg', 1, false, 'full', 0, false, 'none', 0, false, false, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 0,
  'seed 003', 'demo-seed'),
 ('api_product', 1, false, 'full', 0, false, 'none', 0, false, false, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 0,
  'seed 003', 'demo-seed'),
 ('tool_download', 1, false, 'full', 0, false, 'none', 0, false, false, 0,
  '{original_route}', 'original_route', '{original_route}', 'original_route', 3, 0, 0,
  'seed 003', 'demo-seed')
ON CONFLICT DO NOTHING;

-- Times are relative to now, so the windows are open or closed whenever it runs.
CREATE TEMP TABLE demo_orders (LIKE orders INCLUDING DEFAULTS) ON COMMIT DROP;
INSERT INTO demo_orders (id, account, provider, product_type, product_name, billing_mode,
    status, amount_paid, currency, payment_method, payment_ref, paid_at, period_start,
    period_end, quantity, bonus_quantity, used_quantity, in_use, service_status, promo,
    third_party_cost)
VALUES
 -- seed 000 case 1: bought by mistake 10 days ago, unused: 10,000.00 back to Alipay
 ('DEMO-API-1', 'demo-alice', 'aliyun', 'api_credits', 'API 调用资源包 100 万次', 'one_time',
  'paid', 1000000, 'CNY', 'alipay', 'ALI-2026-0001', now() - interval '10 days', NULL, NULL,
  1000000, 0, 0, false, NULL, false, 0),
 -- seed 000 case 2: 45 days ago, 37,500 of 100,000 credits used: 312.50 to the balance
 ('DEMO-API-2', 'demo-alice', 'aliyun', 'api_credits', 'API 调用资源包 10 万次', 'one_time',
  'paid', 50000, 'CNY', 'card', 'CARD-2026-0002', now() - interval '45 days', NULL, NULL,
  100000, 0, 37500, false, NULL, false, 0),
 -- 001: a cloud server paid 2 days ago: full refund
 ('DEMO-ECS-NEW', 'demo-alice', 'aliyun', 'cloud_server', 'ECS 云服务器 2核4G 包年', 'subscription',
  'paid', 120000, 'CNY', 'wechat', 'WX-2026-0003', now() - interval '2 days',
  now() - interval '2 days', now() - interval '2 days' + interval '365 days', 0, 0, 0, false,
  NULL, false, 0),
 -- 001, 002: 100 days into a year: unused time only, by negotiation, minus a licence
 ('DEMO-ECS-OLD', 'demo-bob', 'aliyun', 'cloud_server', 'ECS 云服务器 4核8G 包年', 'subscription',
  'paid', 120000, 'CNY', 'alipay', 'ALI-2026-0004', now() - interval '100 days',
  now() - interval '100 days', now() - interval '100 days' + interval '365 days', 0, 0, 0,
  false, NULL, false, 5000),
 -- 002: promotion purchases are excluded
 ('DEMO-ECS-PROMO', 'demo-bob', 'aliyun', 'cloud_server', 'ECS 新人特惠 1核2G', 'subscription',
  'paid', 9900, 'CNY', 'alipay', 'ALI-2026-0005', now() - interval '1 day',
  now() - interval '1 day', now() - interval '1 day' + interval '365 days', 0, 0, 0,
  false, NULL, true, 0),
 -- 002: pay-as-you-go: nothing to refund; its unpaid sibling can be cancelled
 ('DEMO-ECS-PAYG', 'demo-alice', 'aliyun', 'cloud_server_payg', 'ECS 按量付费 11 月', 'payg',
  'paid', 3456, 'CNY', 'balance', 'BAL-2026-0006', now() - interval '3 days', NULL, NULL,
  0, 0, 0, false, NULL, false, 0),
 ('DEMO-ECS-UNPAID', 'demo-alice', 'aliyun', 'cloud_server_payg', 'ECS 按量付费 待支付', 'payg',
  'unpaid', 0, 'CNY', 'balance', NULL, NULL, NULL, NULL, 0, 0, 0, false, NULL, false, 0),
 -- 004: 100 GB paid + 50 GB gifted, 30 GB used, 3 days ago: 70 % of 200.00 = 140.00
 ('DEMO-TRAFFIC', 'demo-alice', 'huaweicloud', 'traffic_package', '共享流量包 100GB（赠 50GB）',
  'one_time', 'paid', 20000, 'CNY', 'card', 'CARD-2026-0008', now() - interval '3 days', NULL,
  NULL, 100, 50, 30, false, NULL, false, 0),
 -- 003: SaaS within and after 5 days
 ('DEMO-SAAS-NEW', 'demo-alice', 'aliyun', 'saas_app', '成品网站 企业版', 'subscription',
  'paid', 59900, 'CNY', 'alipay', 'ALI-2026-0009', now() - interval '2 days',
  now() - interval '2 days', now() - interval '2 days' + interval '365 days', 0, 0, 0, false,
  NULL, false, 0),
 ('DEMO-SAAS-OLD', 'demo-bob', 'aliyun', 'saas_app', '在线客服软件', 'subscription',
  'paid', 29900, 'CNY', 'alipay', 'ALI-2026-0010', now() - interval '10 days',
  now() - interval '10 days', now() - interval '10 days' + interval '365 days', 0, 0, 0, false,
  NULL, false, 0),
 -- 003: services: in progress (full) and completed (none)
 ('DEMO-MKT-RUNNING', 'demo-alice', 'aliyun', 'marketplace_service', '网站建设服务', 'one_time',
  'paid', 150000, 'CNY', 'bank_transfer', 'BANK-2026-0011', now() - interval '20 days', NULL, NULL,
  0, 0, 0, false, 'in_progress', false, 0),
 ('DEMO-MKT-DONE', 'demo-bob', 'aliyun', 'marketplace_service', '数据迁移服务', 'one_time',
  'paid', 80000, 'CNY', 'bank_transfer', 'BANK-2026-0012', now() - interval '20 days', NULL, NULL,
  0, 0, 0, false, 'completed', false, 0),
 -- 003: images: unused within 5 days (full); in use (refused, with the remedy)
 ('DEMO-IMG-FREE', 'demo-alice', 'aliyun', 'image_subscription', 'LAMP 镜像 包月', 'subscription',
  'paid', 3000, 'CNY', 'alipay', 'ALI-2026-0013', now() - interval '2 days',
  now() - interval '2 days', now() - interval '2 days' + interval '30 days', 0, 0, 0, false,
  NULL, false, 0),
 ('DEMO-IMG-INUSE', 'demo-bob', 'aliyun', 'image_subscription', 'Windows 镜像 包月', 'subscription',
  'paid', 5000, 'CNY', 'alipay', 'ALI-2026-0014', now() - interval '2 days',
  now() - interval '2 days', now() - interval '2 days' + interval '30 days', 0, 0, 0, true,
  NULL, false, 0),
 -- 003: never refundable
 ('DEMO-IMG-PAYG', 'demo-bob', 'aliyun', 'image_payg', '按量镜像', 'payg',
  'paid', 1200, 'CNY', 'balance', 'BAL-2026-0015', now() - interval '1 day', NULL, NULL,
  0, 0, 0, false, NULL, false, 0),
 ('DEMO-API-PRODUCT', 'demo-bob', 'aliyun', 'api_product', '身份证实名认证 API', 'one_time',
  'paid', 9900, 'CNY', 'alipay', 'ALI-2026-0016', now() - interval '1 day', NULL, NULL,
  0, 0, 0, false, NULL, false, 0),
 ('DEMO-TOOL', 'demo-bob', 'aliyun', 'tool_download', '运维工具包 下载版', 'one_time',
  'paid', 19900, 'CNY', 'alipay', 'ALI-2026-0017', now() - interval '1 day', NULL, NULL,
  0, 0, 0, false, NULL, false, 0);

INSERT INTO orders SELECT * FROM demo_orders
ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, paid_at = EXCLUDED.paid_at,
    period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,
    used_quantity = EXCLUDED.used_quantity, in_use = EXCLUDED.in_use,
    service_status = EXCLUDED.service_status, updated_at = now();

INSERT INTO order_items (order_id, item_no, name, status, amount) VALUES
 ('DEMO-ECS-UNPAID', 1, 'ECS 实例', 'unpaid', 3000),
 ('DEMO-ECS-UNPAID', 2, '云盘 40GB', 'unpaid', 456)
ON CONFLICT DO NOTHING;

-- An example calendar in the shape China's State Council publishes: a
-- National Day week off, paid back by working a Sunday before and a
-- Saturday after (调休). Admins replace it with PUT /api/v1/holidays.
INSERT INTO holidays (day, kind, name) VALUES
 ('2026-01-01', 'holiday', '元旦'),
 ('2026-09-27', 'workday', '国庆节调休上班'),
 ('2026-10-01', 'holiday', '国庆节'), ('2026-10-02', 'holiday', '国庆节'),
 ('2026-10-03', 'holiday', '国庆节'), ('2026-10-04', 'holiday', '国庆节'),
 ('2026-10-05', 'holiday', '国庆节'), ('2026-10-06', 'holiday', '国庆节'),
 ('2026-10-07', 'holiday', '国庆节'),
 ('2026-10-10', 'workday', '国庆节调休上班')
ON CONFLICT DO NOTHING;

COMMIT;
