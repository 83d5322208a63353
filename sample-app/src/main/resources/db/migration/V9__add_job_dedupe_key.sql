-- Periodic jobs carry a key naming their slot ("refresh_account_stats:1763740800"), so that two beat
-- instances enqueue each slot once. V10 makes it unique.
ALTER TABLE jobs ADD COLUMN dedupe_key text;
