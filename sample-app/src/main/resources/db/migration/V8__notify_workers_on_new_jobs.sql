-- Workers LISTEN on sample_jobs: a new job wakes them at once instead of at their next poll.
-- The notification is sent when the inserting transaction commits, never for one that rolls back.
CREATE FUNCTION notify_new_job() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('sample_jobs', NEW.kind);
  RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify_workers
AFTER INSERT ON jobs
FOR EACH ROW EXECUTE FUNCTION notify_new_job();
