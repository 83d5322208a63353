-- Demo data, so that the backfill (V5) and the index builds (V10, V11) work on rows, as they would in
-- production. 20,000 accounts that signed up over the last 30 days.
INSERT INTO accounts (email, created_at)
SELECT 'customer' || g || '@example.com', now() - (g % 30) * interval '1 day' - (g % 1440) * interval '1 minute'
FROM generate_series(1, 20000) AS g;
