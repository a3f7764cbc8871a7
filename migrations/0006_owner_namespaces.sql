-- Owner ids get the namespace of their source (src/auth/owner.ts), so a JWT `sub` can no longer
-- spell the owner of open mode or of an API key. Old spellings: `anonymous` (open mode),
-- `key_<16 hex>` (a key from API_KEYS), a stored key's bare id, and anything else a JWT's bare `sub`.
-- A JWT row's issuer was never recorded, so it goes to `jwt:?:<sub>`, which the gateway hands to the
-- first token with that sub (src/auth/legacy-owners.ts). Owners already namespaced are left alone, so
-- the statements may run again, e.g. after a gateway that writes new ids was deployed first; an
-- idempotency record whose new id was taken meanwhile by a newer one keeps its old id (OR IGNORE).
-- The old → new map is worked out once, for every table, then dropped.
CREATE TABLE IF NOT EXISTS `_owner_map` (`old` text PRIMARY KEY NOT NULL, `new` text NOT NULL);
--> statement-breakpoint
INSERT OR IGNORE INTO `_owner_map` (`old`, `new`)
SELECT `owner`, CASE
  WHEN `owner` = 'anonymous' THEN 'open:anonymous'
  WHEN (length(`owner`) = 20 AND substr(`owner`, 1, 4) = 'key_' AND substr(`owner`, 5) NOT GLOB '*[^0-9a-f]*') THEN 'cfg:' || substr(`owner`, 5)
  WHEN `owner` IN (SELECT `id` FROM `api_keys`) THEN 'key:' || `owner`
  ELSE 'jwt:?:' || `owner`
END
FROM (SELECT `owner` FROM `jobs` UNION SELECT `owner` FROM `uploads` UNION SELECT `owner` FROM `webhook_deliveries` UNION SELECT `owner` FROM `idempotency_keys`)
WHERE NOT (`owner` = 'open:anonymous' OR (length(`owner`) = 20 AND substr(`owner`, 1, 4) = 'cfg:' AND substr(`owner`, 5) NOT GLOB '*[^0-9a-f]*') OR `owner` GLOB 'key:*' OR `owner` GLOB 'jwt:*');
--> statement-breakpoint
UPDATE `jobs` SET `owner` = (SELECT `new` FROM `_owner_map` WHERE `old` = `jobs`.`owner`) WHERE `owner` IN (SELECT `old` FROM `_owner_map`);
--> statement-breakpoint
UPDATE `uploads` SET `owner` = (SELECT `new` FROM `_owner_map` WHERE `old` = `uploads`.`owner`) WHERE `owner` IN (SELECT `old` FROM `_owner_map`);
--> statement-breakpoint
UPDATE `webhook_deliveries` SET `owner` = (SELECT `new` FROM `_owner_map` WHERE `old` = `webhook_deliveries`.`owner`) WHERE `owner` IN (SELECT `old` FROM `_owner_map`);
--> statement-breakpoint
UPDATE OR IGNORE `idempotency_keys` SET `owner` = (SELECT `new` FROM `_owner_map` WHERE `old` = `idempotency_keys`.`owner`) WHERE `owner` IN (SELECT `old` FROM `_owner_map`);
--> statement-breakpoint
DROP TABLE `_owner_map`;
