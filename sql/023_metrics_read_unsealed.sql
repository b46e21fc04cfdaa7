-- 023: GET /metrics reports the sealer's backlog (refundd_audit_unsealed_events
-- and the age of the oldest of them), so the application role may read the
-- sealer's queue. It holds event ids only; the events it names the role
-- already reads. Still no UPDATE or DELETE: only the sealer (audit_seal,
-- sql/007) takes rows out of it.
GRANT SELECT ON audit_unsealed TO refundd_app;
