CREATE TABLE "refusals" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "refusals_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"partner_id" text NOT NULL,
	"at" bigint NOT NULL,
	"code" text NOT NULL,
	"detail" text NOT NULL,
	"kid" text,
	"sub" text,
	"iat" double precision,
	"exp" double precision,
	"aud" jsonb
);
--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "openid_configuration_url" text;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "require_issued_at" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "claim_mapping" jsonb;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "required_claims" jsonb;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "profile_update" text DEFAULT 'never' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "tokens_valid_after" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "revocation_lifetime_seconds" integer;--> statement-breakpoint
ALTER TABLE "refusals" ADD CONSTRAINT "refusals_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "partners"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "refusals_partner_idx" ON "refusals" USING btree ("partner_id","id");