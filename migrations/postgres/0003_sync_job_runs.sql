-- A queued sync has its sync_runs row from the moment it is queued, so the
-- API can answer with the run id; the job remembers which run it will fill.
alter table sync_jobs add column run_id uuid;
