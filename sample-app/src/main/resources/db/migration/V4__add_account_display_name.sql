-- Expand: a new column, nullable first, so that this migration takes its lock for a moment only.
ALTER TABLE accounts ADD COLUMN display_name text;
