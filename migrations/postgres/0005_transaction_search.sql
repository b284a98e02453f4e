-- Free-text search on a transaction's name and merchant (issue #6), served by
-- a trigram index instead of reading every row of the user's history.
--
-- pg_trgm's GIN index answers the list's `lower(...) like '%text%'` for
-- queries of three characters or more; shorter ones still read the rows.
--
-- The extension is database-wide: it goes into `public`, so dropping another
-- schema (each test run has its own) never drops it. Instances migrating at
-- the same moment may race to create it; the loser finds it there. Its
-- operator class is named with the schema it is in, wherever that is.
do $$
declare
    trgm_schema name;
begin
    begin
        create extension if not exists pg_trgm with schema public;
    exception when unique_violation or duplicate_object then
        null;
    end;
    select n.nspname into strict trgm_schema
        from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname = 'pg_trgm';
    execute format(
        'create index transactions_search_idx on transactions using gin '
        '(lower(name) %1$I.gin_trgm_ops, lower(coalesce(merchant_name, %2$L)) %1$I.gin_trgm_ops) '
        'where removed_at is null',
        trgm_schema, '');
end
$$;
