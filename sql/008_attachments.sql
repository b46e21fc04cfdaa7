-- 008_attachments.sql -- evidence a customer attaches to an open refund
-- request (DESIGN.md §8 "Evidence"): receipts and screenshots as PNG, JPEG
-- or PDF, at most 5 MiB each and 5 per request, kept in the database with
-- their sha256 (which the audit event of the upload carries too).

CREATE TABLE refund_attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refund_id    bigint NOT NULL REFERENCES refund_requests (id),
    -- 1..5: the database's own guard on "5 per request". The writer locks
    -- the request row and takes the next position, so parallel uploads
    -- queue; should two ever race past that, the unique key refuses one.
    position     smallint NOT NULL CHECK (position BETWEEN 1 AND 5),
    name         text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 255
                     AND name !~ '[[:cntrl:]/\\]'),
    content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'application/pdf')),
    data         bytea NOT NULL CHECK (octet_length(data) BETWEEN 1 AND 5242880),
    -- Derived from the bytes, so they can never disagree with them.
    size         integer GENERATED ALWAYS AS (octet_length(data)) STORED,
    sha256       text GENERATED ALWAYS AS (encode(sha256(data), 'hex')) STORED,
    uploaded_by  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (refund_id, position)
);
-- PNG, JPEG and PDF are compressed already: store the bytes out of line
-- without another round of pglz that would only cost time.
ALTER TABLE refund_attachments ALTER COLUMN data SET STORAGE EXTERNAL;

-- Evidence is never changed or removed by the application.
GRANT SELECT, INSERT ON refund_attachments TO refundd_app;
