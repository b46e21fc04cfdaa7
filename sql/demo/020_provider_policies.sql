-- 020_provider_policies.sql -- demo data for the provider side (DESIGN.md §8):
-- the seed documents' rules as the providers apply them to the reseller's
-- own purchases, and upstream purchases on a few demo orders (010_demo.sql).
-- Not a migration: production loads its rules through
-- PUT /api/v1/provider-policies. Idempotent like 010.
BEGIN;

INSERT INTO provider_policies (provider, product_type, version, refundable, window_rule,
    window_days, window_requires_unused, after_window, fee_bps, vouchers_refundable,
    note, created_by)
VALUES
 -- 000: an API provider's 30-day no-reason refund, then unused credits by usage.
 ('aliyun', 'api_credits', 1, true, 'full', 30, false, 'prorata_usage', 0, false,
  'seed 000', 'demo-seed'),
 -- 001: 5 days from payment in full ("从支付成功那一刻起"); after it only unused
 -- time ("已消耗的服务时长,则不支持退费"); coupons are not cash and do not come back.
 ('aliyun', 'cloud_server', 1, true, 'full', 5, false, 'prorata_time', 0, false,
  'seeds 001, 002', 'demo-seed'),
 -- 002: pay-as-you-go is billed after use: nothing to claim.
 ('aliyun', 'cloud_server_payg', 1, false, 'full', 0, false, 'none', 0, false,
  'seed 002', 'demo-seed'),
 -- 003: the marketplace's guarantee periods.
 ('aliyun', 'saas_app', 1, true, 'full', 5, false, 'none', 0, false, 'seed 003', 'demo-seed'),
 ('aliyun', 'marketplace_service', 1, true, 'service_in_progress', 0, false, 'none', 0, false,
  'seed 003', 'demo-seed'),
 ('aliyun', 'image_subscription', 1, true, 'full', 5, true, 'none', 0, false,
  'seed 003', 'demo-seed'),
 ('aliyun', 'image_payg', 1, false, 'full', 0, false, 'none', 0, false, 'seed 003', 'demo-seed'),
 ('aliyun', 'api_product', 1, false, 'full', 0, false, 'none', 0, false, 'seed 003', 'demo-seed'),
 ('aliyun', 'tool_download', 1, false, 'full', 0, false, 'none', 0, false, 'seed 003', 'demo-seed'),
 -- 004: unused paid traffic within the window (the seed names no number of
 -- days; 7 here), used traffic never, nothing after it.
 ('huaweicloud', 'traffic_package', 1, true, 'unused_units', 7, false, 'none', 0, false,
  'seed 004', 'demo-seed')
ON CONFLICT DO NOTHING;

-- What the reseller paid upstream for some demo orders: the server bought the
-- same moment it was sold; the SaaS partly with a provider coupon.
UPDATE orders SET upstream_ref = 'i-demo-ecs-new', upstream_cost = 100000, upstream_voucher = 0,
    upstream_paid_at = paid_at WHERE id = 'DEMO-ECS-NEW';
UPDATE orders SET upstream_ref = 'i-demo-ecs-old', upstream_cost = 100000, upstream_voucher = 0,
    upstream_paid_at = paid_at WHERE id = 'DEMO-ECS-OLD';
UPDATE orders SET upstream_ref = 'flow-demo-traffic', upstream_cost = 15000, upstream_voucher = 0,
    upstream_paid_at = paid_at WHERE id = 'DEMO-TRAFFIC';
UPDATE orders SET upstream_ref = 'saas-demo-new', upstream_cost = 50000, upstream_voucher = 10000,
    upstream_paid_at = paid_at WHERE id = 'DEMO-SAAS-NEW';

COMMIT;
