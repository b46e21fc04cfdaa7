-- 022_policy_limits_currency.sql -- the approval limits name their currency.
--
-- auto_approve_max and second_approval_over are minor units, and were
-- applied to whatever currency an order was in: a limit meant as 500.00
-- CNY (50000) let 50000 JPY (about 2 400 CNY) through without a person,
-- and 50000 KWD minor units are 50.000 KWD. A policy's limits now hold in
-- limits_currency only; an order in another currency is never approved
-- without a person and every approval of it needs a second approver
-- (policy.c policy_limits_apply). The shipped and stored policies were
-- written in CNY.
ALTER TABLE refund_policies
    ADD COLUMN limits_currency text NOT NULL DEFAULT 'CNY' CHECK (limits_currency ~ '^[A-Z]{3}$');
