-- Built CONCURRENTLY: the table stays writable while the index builds. PostgreSQL refuses
-- CREATE INDEX CONCURRENTLY inside a transaction, so this migration runs outside one
-- (executeInTransaction=false in V10__index_job_dedupe_key_concurrently.sql.conf beside this file) and
-- holds nothing but these two statements.
--
-- A concurrent build that fails leaves an INVALID index behind. Dropping it first makes a retry of this
-- migration (after the cause is fixed) start clean.
DROP INDEX CONCURRENTLY IF EXISTS jobs_dedupe_key_idx;

CREATE UNIQUE INDEX CONCURRENTLY jobs_dedupe_key_idx ON jobs (dedupe_key);
