-- updated_at maintenance, as the PostgreSQL triggers do. The WHEN clause
-- leaves rows alone whose update already set updated_at (and stops recursion).

create trigger users_updated_at after update on users for each row
when new.updated_at = old.updated_at
begin
    update users set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger sessions_updated_at after update on sessions for each row
when new.updated_at = old.updated_at
begin
    update sessions set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger institutions_updated_at after update on institutions for each row
when new.updated_at = old.updated_at
begin
    update institutions set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger connections_updated_at after update on connections for each row
when new.updated_at = old.updated_at
begin
    update connections set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger accounts_updated_at after update on accounts for each row
when new.updated_at = old.updated_at
begin
    update accounts set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger balance_snapshots_updated_at after update on balance_snapshots for each row
when new.updated_at = old.updated_at
begin
    update balance_snapshots set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger transactions_updated_at after update on transactions for each row
when new.updated_at = old.updated_at
begin
    update transactions set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger sync_runs_updated_at after update on sync_runs for each row
when new.updated_at = old.updated_at
begin
    update sync_runs set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger webhook_events_updated_at after update on webhook_events for each row
when new.updated_at = old.updated_at
begin
    update webhook_events set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger sync_jobs_updated_at after update on sync_jobs for each row
when new.updated_at = old.updated_at
begin
    update sync_jobs set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger audit_log_updated_at after update on audit_log for each row
when new.updated_at = old.updated_at
begin
    update audit_log set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger rate_limits_updated_at after update on rate_limits for each row
when new.updated_at = old.updated_at
begin
    update rate_limits set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;

create trigger app_secrets_updated_at after update on app_secrets for each row
when new.updated_at = old.updated_at
begin
    update app_secrets set updated_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') where rowid = new.rowid;
end;
