package dev.muster.orchestrator.tenants;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the direct path takes as plain SQL, and what it leaves to Flyway. */
class PlainSqlTest {

  @Test
  void ordinaryDdlAndDmlIsPlain() {
    assertTrue(PlainSql.plain("CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL);"));
    assertTrue(PlainSql.plain("ALTER TABLE items ADD COLUMN c int;\nCREATE INDEX items_c ON items (c);\n"
        + "UPDATE items SET c = 1 WHERE name = 'a;b';"));
    assertTrue(PlainSql.plain("-- a comment; COMMIT\n/* block /* nested */ COMMIT; */ SELECT 1"));
    assertTrue(PlainSql.plain("DO $$ BEGIN IF true THEN RAISE NOTICE 'x'; END IF; END $$;"));
    assertTrue(PlainSql.plain("CREATE FUNCTION f() RETURNS int AS $body$ BEGIN; COMMIT; RETURN 1; END $body$"
        + " LANGUAGE plpgsql;"));
    assertTrue(PlainSql.plain("INSERT INTO t VALUES (E'it\\'s; COMMIT', \"odd\"\"name;\");"));
    assertTrue(PlainSql.plain("CREATE TABLE a$b (x int); SELECT CASE WHEN true THEN 1 END;"));
    assertTrue(PlainSql.plain(""));
  }

  @Test
  void whatFlywayOrTheTransactionWouldHandleDifferentlyIsNot() {
    assertFalse(PlainSql.plain("CREATE TABLE ${flyway:defaultSchema}.t (id int);"), "a placeholder");
    assertFalse(PlainSql.plain("CREATE TABLE t (id int);\nCOMMIT;\nCREATE TABLE u (id int);"), "a commit");
    assertFalse(PlainSql.plain("begin; create table t (id int); end;"), "its own transaction");
    assertFalse(PlainSql.plain("SAVEPOINT a; ROLLBACK TO a;"));
    assertFalse(PlainSql.plain("COPY items FROM STDIN;\n1\tx\n\\."), "COPY data in the script");
    assertFalse(PlainSql.plain("SET search_path = other; CREATE TABLE t (id int);"), "a session setting");
    // Flyway resets the search path and the role before each migration: in one transaction they would carry on.
    assertFalse(PlainSql.plain("SET LOCAL search_path = other; CREATE TABLE t (id int);"));
    assertFalse(PlainSql.plain("SELECT pg_catalog.set_config('role', 'other', true);"));
    assertFalse(PlainSql.plain("DO $$ BEGIN SET LOCAL ROLE other; END $$;"), "inside a DO body too");
    assertFalse(PlainSql.plain("\\set x 1\nSELECT :x;"), "a psql command");
    assertFalse(PlainSql.plain("-- flyway:executeInTransaction=false\nCREATE TABLE t (id int);"), "script config");
    assertFalse(PlainSql.plain("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;"));
    assertFalse(PlainSql.plain("SELECT 'unterminated"), "unsure");
    assertFalse(PlainSql.plain("SELECT $$ unterminated"), "unsure");
  }
}
