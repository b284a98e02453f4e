-- The dashboard figures as SQL functions (the seed's names). The SQLite store
-- computes the same figures with the same rules; one test suite checks both.
--
-- Rules shared by every figure:
-- * a transaction counts when it is not removed (tombstoned) and not hidden;
-- * its category is the user's override when set, else the provider's primary;
-- * transfers between the user's own accounts are neither income nor spending:
--   TRANSFER_IN, TRANSFER_OUT, and credit-card payments;
-- * amounts are signed (negative = money out), so spending is the negated sum
--   of negative amounts and income the sum of positive ones, per currency.

create or replace function tributary_effective_category(p_user_category text, p_primary text)
returns text language sql immutable as $$
    select coalesce(p_user_category, p_primary, 'UNCATEGORIZED')
$$;

create or replace function tributary_is_transfer(p_user_category text, p_primary text, p_detailed text)
returns boolean language sql immutable as $$
    select tributary_effective_category(p_user_category, p_primary) in ('TRANSFER_IN', 'TRANSFER_OUT')
        or (p_user_category is null and coalesce(p_detailed, '') = 'LOAN_PAYMENTS_CREDIT_CARD_PAYMENT')
$$;

-- Net balance per currency: assets count positive, credit and loan balances
-- (amounts owed) negative. Disconnected connections are left out.
create or replace function get_user_total_balance(p_user_id uuid)
returns table (currency text, total bigint) language sql stable as $$
    select a.currency,
           sum(case when a.type in ('credit', 'loan') then -coalesce(a.current_balance, 0)
                    else coalesce(a.current_balance, 0) end)::bigint
    from accounts a
    join connections c on c.id = a.connection_id
    where a.user_id = p_user_id and c.status <> 'disconnected'
    group by a.currency
    order by a.currency
$$;

create or replace function get_user_transaction_count(p_user_id uuid)
returns bigint language sql stable as $$
    select count(*) from transactions t
    where t.user_id = p_user_id and t.removed_at is null
$$;

create or replace function get_user_income(p_user_id uuid, p_start date, p_end date)
returns table (currency text, total bigint) language sql stable as $$
    select t.currency, sum(t.amount)::bigint
    from transactions t
    where t.user_id = p_user_id and t.removed_at is null and not t.hidden
      and t.date between p_start and p_end and t.amount > 0
      and not tributary_is_transfer(t.user_category, t.category_primary, t.category_detailed)
    group by t.currency
    order by t.currency
$$;

create or replace function get_user_spending(p_user_id uuid, p_start date, p_end date)
returns table (currency text, total bigint) language sql stable as $$
    select t.currency, (-sum(t.amount))::bigint
    from transactions t
    where t.user_id = p_user_id and t.removed_at is null and not t.hidden
      and t.date between p_start and p_end and t.amount < 0
      and not tributary_is_transfer(t.user_category, t.category_primary, t.category_detailed)
    group by t.currency
    order by t.currency
$$;

create or replace function get_user_spending_by_category(p_user_id uuid, p_start date, p_end date)
returns table (currency text, category text, total bigint) language sql stable as $$
    select t.currency,
           tributary_effective_category(t.user_category, t.category_primary),
           (-sum(t.amount))::bigint
    from transactions t
    where t.user_id = p_user_id and t.removed_at is null and not t.hidden
      and t.date between p_start and p_end and t.amount < 0
      and not tributary_is_transfer(t.user_category, t.category_primary, t.category_detailed)
    group by 1, 2
    order by 1, 3 desc, 2
$$;

-- One row: the connection's state and its latest sync run, if any.
create or replace function get_connection_sync_status(p_connection_id uuid)
returns table (
    status text,
    last_synced_at timestamptz,
    next_sync_allowed_at timestamptz,
    next_sync_at timestamptz,
    last_run_outcome text,
    last_run_started_at timestamptz,
    last_run_finished_at timestamptz,
    last_run_error text,
    sync_queued boolean
) language sql stable as $$
    select c.status, c.last_synced_at, c.next_sync_allowed_at, c.next_sync_at,
           r.outcome, r.started_at, r.finished_at, r.error_message,
           exists (select 1 from sync_jobs j where j.connection_id = c.id)
    from connections c
    left join lateral (
        select * from sync_runs s where s.connection_id = c.id
        order by s.started_at desc limit 1
    ) r on true
    where c.id = p_connection_id
$$;
