-- 001_foundation.sql -- ground rules for the application role.
-- refundd serves as refundd_app: it owns nothing and runs no DDL; each
-- later migration grants it exactly the rights its tables need (the audit
-- trail, for one, gets INSERT and SELECT only). The role itself is created
-- by whoever sets up the cluster (scripts/lib.sh, docker/entrypoint.sh),
-- because migrations run as the schema owner, not as a superuser.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'refundd_app') THEN
    RAISE EXCEPTION 'create the login role refundd_app before migrating';
  END IF;
END $$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO refundd_app;
