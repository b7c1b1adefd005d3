-- Hand-written (drizzle-kit generate --custom): a notice to every Gatehouse instance when users change, so each
-- can keep a per-instance user cache and still see another instance's change within 5 s (docs/operations.md,
-- "User cache on PostgreSQL"). NOTIFY is delivered at commit, to listeners only, in commit order.
-- Statement-level, so a partner delete's cascade (thousands of rows, one statement) sends one notice per partner
-- instead of one per user. Inserts need none: no instance caches a user it did not find.
CREATE FUNCTION "gatehouse_users_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT count(*) FROM (SELECT 1 FROM "changed" LIMIT 101) AS "first") <= 100 THEN
		-- One notice per user: [schema, partner id, external user id]. An id too long for a notice (8000 bytes)
		-- falls back to the partner-wide form.
		PERFORM pg_notify('gatehouse_users', CASE WHEN octet_length("notice") < 7900 THEN "notice" ELSE json_build_array(TG_TABLE_SCHEMA, "partner_id")::text END)
		FROM (SELECT "partner_id", json_build_array(TG_TABLE_SCHEMA, "partner_id", "external_user_id")::text AS "notice" FROM "changed") AS "notices";
	ELSE
		-- One notice per partner: [schema, partner id], meaning "any of its users".
		PERFORM pg_notify('gatehouse_users', json_build_array(TG_TABLE_SCHEMA, "partner_id")::text) FROM (SELECT DISTINCT "partner_id" FROM "changed") AS "partners";
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_updated_notice" AFTER UPDATE ON "users" REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "gatehouse_users_changed"();
--> statement-breakpoint
CREATE TRIGGER "users_deleted_notice" AFTER DELETE ON "users" REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "gatehouse_users_changed"();
