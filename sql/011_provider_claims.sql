-- 011_provider_claims.sql -- the reseller's own money (DESIGN.md §8, issue 12):
-- its purchase upstream on each order, the providers' refund rules as
-- versioned data, the claims it files at the provider when it refunds a
-- customer, and the provider statements that close them.

-- The reseller's purchase of the product from the provider. All optional:
-- an order without upstream_ref has no claim. upstream_quantity and
-- upstream_used_quantity only when the provider counts other units than
-- the customer's order (NULL: the order's own).
ALTER TABLE orders
    ADD COLUMN upstream_ref           text CHECK (upstream_ref ~ '^[A-Za-z0-9_.:/-]{1,128}$'),
    ADD COLUMN upstream_cost          bigint CHECK (upstream_cost >= 0),
    ADD COLUMN upstream_voucher       bigint NOT NULL DEFAULT 0 CHECK (upstream_voucher >= 0),
    ADD COLUMN upstream_paid_at       timestamptz,
    ADD COLUMN upstream_quantity      bigint CHECK (upstream_quantity >= 0),
    ADD COLUMN upstream_used_quantity bigint CHECK (upstream_used_quantity >= 0),
    ADD CONSTRAINT orders_upstream CHECK (upstream_ref IS NULL
        OR (upstream_cost IS NOT NULL AND upstream_paid_at IS NOT NULL)),
    ADD CONSTRAINT orders_upstream_voucher CHECK (upstream_voucher <= coalesce(upstream_cost, 0));
CREATE INDEX orders_upstream_ref ON orders (upstream_ref) WHERE upstream_ref IS NOT NULL;

-- The providers' rules, seen from the reseller's seat (the seeds' rules).
-- A change adds a version, like refund_policies; every claim names the
-- version its expected amount came from.
CREATE TABLE provider_policies (
    provider               text NOT NULL CHECK (provider ~ '^[a-z0-9_]{1,31}$'),
    product_type           text NOT NULL CHECK (product_type ~ '^[a-z0-9_]{1,31}$'),
    version                integer NOT NULL CHECK (version >= 1),
    refundable             boolean NOT NULL,
    window_rule            text NOT NULL CHECK (window_rule IN ('full', 'unused_units', 'service_in_progress')),
    window_days            integer NOT NULL CHECK (window_days BETWEEN 0 AND 3650),
    window_requires_unused boolean NOT NULL,
    after_window           text NOT NULL CHECK (after_window IN ('none', 'prorata_time', 'prorata_usage')),
    fee_bps                integer NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),
    vouchers_refundable    boolean NOT NULL,
    note                   text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by             text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, product_type, version),
    CHECK (window_rule <> 'service_in_progress' OR window_days = 0)
);

-- A statement imported once: the same file (sha256) again answers the
-- stored result and changes nothing.
CREATE TABLE provider_statements (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider    text NOT NULL CHECK (provider ~ '^[a-z0-9_]{1,31}$'),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    result      jsonb NOT NULL,
    imported_by text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, sha256)
);

-- One claim per approved refund of an order bought upstream. expected_amount
-- is frozen at approval (the provider engine's answer then); the statement
-- fills recovered_amount and fee.
CREATE TABLE provider_claims (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refund_id        bigint NOT NULL UNIQUE REFERENCES refund_requests (id),
    order_id         text NOT NULL REFERENCES orders (id),
    provider         text NOT NULL,
    product_type     text NOT NULL,
    upstream_ref     text NOT NULL,
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    policy_version   integer CHECK (policy_version >= 1),  -- NULL: no provider policy then
    expected_amount  bigint NOT NULL CHECK (expected_amount >= 0),
    customer_amount  bigint NOT NULL CHECK (customer_amount >= 0),
    breakdown        jsonb NOT NULL,
    reasons          jsonb NOT NULL,
    claim_ref        text CHECK (claim_ref ~ '^[A-Za-z0-9_.:/-]{1,128}$'),
    recovered_amount bigint CHECK (recovered_amount >= 0),
    fee              bigint CHECK (fee >= 0),
    status           text NOT NULL DEFAULT 'to_file' CHECK (status IN ('to_file', 'filed',
                         'recovered', 'partially_recovered', 'refused')),
    statement_id     bigint REFERENCES provider_statements (id),
    filed_at         timestamptz,
    filed_by         text,
    closed_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT provider_claims_filed CHECK (status <> 'filed' OR claim_ref IS NOT NULL),
    CONSTRAINT provider_claims_closed CHECK ((status IN ('recovered', 'partially_recovered', 'refused'))
        = (recovered_amount IS NOT NULL))
);
CREATE INDEX provider_claims_status ON provider_claims (status, id);
CREATE INDEX provider_claims_ref ON provider_claims (provider, upstream_ref);
CREATE UNIQUE INDEX provider_claims_claim_ref ON provider_claims (provider, claim_ref)
    WHERE claim_ref IS NOT NULL;

GRANT SELECT, INSERT ON provider_policies TO refundd_app;   -- versions only grow
GRANT SELECT, INSERT ON provider_statements TO refundd_app;
GRANT SELECT, INSERT, UPDATE ON provider_claims TO refundd_app;
