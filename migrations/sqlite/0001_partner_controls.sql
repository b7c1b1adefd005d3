CREATE TABLE `refusals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`partner_id` text NOT NULL,
	`at` integer NOT NULL,
	`code` text NOT NULL,
	`detail` text NOT NULL,
	`kid` text,
	`sub` text,
	`iat` real,
	`exp` real,
	`aud` text,
	FOREIGN KEY (`partner_id`) REFERENCES `partners`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `refusals_partner_idx` ON `refusals` (`partner_id`,`id`);--> statement-breakpoint
ALTER TABLE `partners` ADD `openid_configuration_url` text;--> statement-breakpoint
ALTER TABLE `partners` ADD `require_issued_at` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `partners` ADD `claim_mapping` text;--> statement-breakpoint
ALTER TABLE `partners` ADD `required_claims` text;--> statement-breakpoint
ALTER TABLE `partners` ADD `profile_update` text DEFAULT 'never' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `tokens_valid_after` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `revocation_lifetime_seconds` integer;