-- 002_orders_policies.sql -- orders synced from billing, versioned refund
-- policies, and the holiday calendar. The checks repeat the C validation
-- on purpose: a bug in one worker must not store an impossible order.

CREATE TABLE orders (
    id               text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    account          text NOT NULL CHECK (length(account) BETWEEN 1 AND 127),
    provider         text NOT NULL CHECK (provider ~ '^[a-z0-9_]{1,31}$'),
    product_type     text NOT NULL CHECK (product_type ~ '^[a-z0-9_]{1,31}$'),
    product_name     text NOT NULL CHECK (length(product_name) BETWEEN 1 AND 200),
    billing_mode     text NOT NULL CHECK (billing_mode IN ('subscription', 'payg', 'one_time')),
    status           text NOT NULL CHECK (status IN ('unpaid', 'paid', 'cancelled', 'expired')),
    amount_paid      bigint NOT NULL CHECK (amount_paid >= 0),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    payment_method   text NOT NULL CHECK (payment_method IN ('card', 'alipay', 'wechat', 'bank_transfer', 'balance')),
    payment_ref      text CHECK (length(payment_ref) <= 128),
    paid_at          timestamptz,
    period_start     timestamptz,
    period_end       timestamptz,
    quantity         bigint NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    bonus_quantity   bigint NOT NULL DEFAULT 0 CHECK (bonus_quantity >= 0),
    used_quantity    bigint NOT NULL DEFAULT 0 CHECK (used_quantity >= 0),
    in_use           boolean NOT NULL DEFAULT false,
    service_status   text CHECK (service_status IN ('in_progress', 'completed')),
    promo            boolean NOT NULL DEFAULT false,
    third_party_cost bigint NOT NULL DEFAULT 0 CHECK (third_party_cost >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_period CHECK ((period_start IS NULL) = (period_end IS NULL)
                                    AND (period_end IS NULL OR period_end >= period_start)),
    CONSTRAINT orders_used CHECK (used_quantity <= quantity + bonus_quantity),
    CONSTRAINT orders_paid_at CHECK (status IN ('unpaid', 'cancelled') OR paid_at IS NOT NULL)
);
-- A customer's order list, and staff filtering by account, page by id.
CREATE INDEX orders_account_id ON orders (account, id);

CREATE TABLE order_items (
    order_id text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    item_no  integer NOT NULL CHECK (item_no BETWEEN 1 AND 1000),
    name     text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status   text NOT NULL CHECK (status IN ('unpaid', 'paid', 'cancelled', 'expired')),
    amount   bigint NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (order_id, item_no)
);

-- Policies are data. A change adds a version; old versions stay readable,
-- and every quote and request names the version it used.
CREATE TABLE refund_policies (
    product_type                text NOT NULL CHECK (product_type ~ '^[a-z0-9_]{1,31}$'),
    version                     integer NOT NULL CHECK (version >= 1),
    refundable                  boolean NOT NULL,
    window_rule                 text NOT NULL CHECK (window_rule IN ('full', 'unused_units', 'service_in_progress')),
    window_days                 integer NOT NULL CHECK (window_days BETWEEN 0 AND 3650),
    window_requires_unused      boolean NOT NULL,
    after_window                text NOT NULL CHECK (after_window IN ('none', 'prorata_time', 'prorata_usage', 'negotiate')),
    handling_fee_bps            integer NOT NULL CHECK (handling_fee_bps BETWEEN 0 AND 10000),
    deduct_third_party          boolean NOT NULL,
    promo_refundable            boolean NOT NULL,
    monthly_limit               integer NOT NULL CHECK (monthly_limit BETWEEN 0 AND 1000),
    payout_methods              text[] NOT NULL CHECK (cardinality(payout_methods) >= 1
                                    AND payout_methods <@ ARRAY['original_route', 'balance']),
    payout_default              text NOT NULL,
    payout_methods_after_window text[] NOT NULL CHECK (cardinality(payout_methods_after_window) >= 1
                                    AND payout_methods_after_window <@ ARRAY['original_route', 'balance']),
    payout_default_after_window text NOT NULL,
    review_sla_days             integer NOT NULL CHECK (review_sla_days BETWEEN 0 AND 60),
    auto_approve_max            bigint NOT NULL CHECK (auto_approve_max >= 0),
    second_approval_over        bigint NOT NULL CHECK (second_approval_over >= 0),
    note                        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by                  text NOT NULL,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_type, version),
    CHECK (payout_default = ANY (payout_methods)),
    CHECK (payout_default_after_window = ANY (payout_methods_after_window))
);

-- The reseller's calendar: public holidays, and the weekend days that are
-- worked instead (China's make-up working days, 调休).
CREATE TABLE holidays (
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

GRANT SELECT, INSERT, UPDATE ON orders TO refundd_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON order_items TO refundd_app;
GRANT SELECT, INSERT ON refund_policies TO refundd_app;   -- versions only grow
GRANT SELECT, INSERT, UPDATE, DELETE ON holidays TO refundd_app;
