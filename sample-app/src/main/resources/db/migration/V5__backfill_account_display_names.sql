-- Backfill the new column from existing data, then contract: make it required.
-- The app writes display_name from this version on; older rows get the e-mail's local part.
UPDATE accounts
SET display_name = initcap(replace(split_part(email, '@', 1), '.', ' '))
WHERE display_name IS NULL;

ALTER TABLE accounts ALTER COLUMN display_name SET NOT NULL;
