-- Tributary's whole data model (DESIGN §3) on PostgreSQL.
-- Money is bigint minor units with an ISO currency code; amounts are signed
-- negative = money out of the account, for every provider.

create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end
$$;

create table users (
    id            uuid primary key,
    email         text not null,
    password_hash text not null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
-- Emails are unique whatever their case.
create unique index users_email_key on users (lower(email));

-- tower-sessions records; user_id is copied out of the record so a user's
-- sessions can be found and ended together.
create table sessions (
    id          text primary key,
    user_id     uuid references users (id) on delete cascade,
    data        bytea not null,
    expiry_date timestamptz not null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index sessions_expiry_idx on sessions (expiry_date);
create index sessions_user_idx on sessions (user_id);

create table institutions (
    id                      uuid primary key,
    provider                text not null check (provider in ('plaid', 'pluggy')),
    provider_institution_id text not null,
    name                    text not null,
    logo                    text,
    primary_color           text,
    url                     text,
    -- JSON array of ISO 3166-1 alpha-2 codes.
    countries               text not null default '[]',
    created_at              timestamptz not null default now(),
    updated_at              timestamptz not null default now(),
    constraint institutions_provider_key unique (provider, provider_institution_id)
);

create table connections (
    id                   uuid primary key,
    user_id              uuid not null references users (id) on delete cascade,
    provider             text not null check (provider in ('plaid', 'pluggy')),
    provider_item_id     text not null,
    institution_id       uuid references institutions (id),
    -- Plaid access token or Pluggy item id, AES-256-GCM with a key id prefix.
    access_token_enc     text not null,
    status               text not null default 'active' check (status in (
                             'active', 'syncing', 'needs_relink', 'expiring',
                             'rate_limited', 'error', 'revoked', 'disconnected')),
    status_detail        text,
    error_code           text,
    consent_expires_at   timestamptz,
    sync_cursor          text,
    last_synced_at       timestamptz,
    next_sync_allowed_at timestamptz,
    next_sync_at         timestamptz,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    constraint connections_provider_item_key unique (provider, provider_item_id)
);
create index connections_user_idx on connections (user_id);
create index connections_next_sync_idx on connections (next_sync_at);

create table accounts (
    id                  uuid primary key,
    connection_id       uuid not null references connections (id) on delete cascade,
    -- Denormalised owner: every dashboard query filters by user first.
    user_id             uuid not null references users (id) on delete cascade,
    provider_account_id text not null,
    name                text not null,
    official_name       text,
    mask                text,
    -- depository | credit | loan | investment | other
    type                text not null,
    subtype             text,
    currency            text not null,
    current_balance     bigint,
    available_balance   bigint,
    credit_limit        bigint,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    constraint accounts_provider_account_key unique (connection_id, provider_account_id)
);
create index accounts_user_idx on accounts (user_id);

create table balance_snapshots (
    account_id uuid not null references accounts (id) on delete cascade,
    day        date not null,
    current    bigint,
    available  bigint,
    currency   text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (account_id, day)
);

create table transactions (
    id                      uuid primary key,
    account_id              uuid not null references accounts (id) on delete cascade,
    user_id                 uuid not null references users (id) on delete cascade,
    provider_transaction_id text not null,
    -- On a posted transaction: the provider id of the pending one it replaces.
    pending_transaction_id  text,
    amount                  bigint not null,
    currency                text not null,
    date                    date not null,
    authorized_date         date,
    name                    text not null,
    merchant_name           text,
    category_primary        text,
    category_detailed       text,
    payment_channel         text,
    pending                 boolean not null default false,
    logo_url                text,
    removed_at              timestamptz,
    -- The user's own overrides, never written by a sync.
    user_category           text,
    user_note               text,
    hidden                  boolean not null default false,
    created_at              timestamptz not null default now(),
    updated_at              timestamptz not null default now(),
    constraint transactions_provider_key unique (account_id, provider_transaction_id)
);
create index transactions_user_date_idx on transactions (user_id, date desc, id desc) where removed_at is null;
create index transactions_account_date_idx on transactions (account_id, date desc) where removed_at is null;
create index transactions_pending_link_idx on transactions (account_id, pending_transaction_id)
    where pending_transaction_id is not null;

create table sync_runs (
    id            uuid primary key,
    connection_id uuid not null references connections (id) on delete cascade,
    trigger       text not null check (trigger in ('link', 'manual', 'webhook', 'schedule')),
    started_at    timestamptz not null,
    finished_at   timestamptz,
    -- running | success | error | rate_limited | needs_relink | cancelled
    outcome       text not null default 'running',
    pages         integer not null default 0,
    added         integer not null default 0,
    modified      integer not null default 0,
    removed       integer not null default 0,
    error_code    text,
    error_message text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index sync_runs_connection_idx on sync_runs (connection_id, started_at desc);

create table webhook_events (
    id           uuid primary key,
    provider     text not null check (provider in ('plaid', 'pluggy')),
    -- The provider's delivery id, or the SHA-256 of the body when it has none.
    delivery_key text not null,
    received_at  timestamptz not null,
    verified     boolean not null,
    event_type   text,
    item_id      text,
    processed_at timestamptz,
    outcome      text,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint webhook_events_delivery_key unique (provider, delivery_key)
);

-- The job queue: at most one job row per connection, so a second request
-- while one is queued or running coalesces into it (rerun_requested).
create table sync_jobs (
    id              uuid primary key,
    connection_id   uuid not null references connections (id) on delete cascade,
    reason          text not null check (reason in ('link', 'manual', 'webhook', 'schedule')),
    run_after       timestamptz not null,
    attempts        integer not null default 0,
    locked_by       text,
    locked_until    timestamptz,
    rerun_requested boolean not null default false,
    last_error      text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint sync_jobs_connection_key unique (connection_id)
);
create index sync_jobs_due_idx on sync_jobs (run_after);

create table audit_log (
    id         uuid primary key,
    user_id    uuid references users (id) on delete set null,
    action     text not null,
    detail     text,
    ip         text,
    user_agent text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index audit_log_user_idx on audit_log (user_id, created_at desc);

-- Fixed-window counters for login and registration throttling, shared by
-- every app instance.
create table rate_limits (
    bucket       text not null,
    window_start timestamptz not null,
    hits         integer not null,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    primary key (bucket, window_start)
);

-- Application secrets (e.g. the Pluggy webhook header secret), encrypted.
create table app_secrets (
    name       text primary key,
    value_enc  text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

do $$
declare t text;
begin
    foreach t in array array['users', 'sessions', 'institutions', 'connections', 'accounts',
                             'balance_snapshots', 'transactions', 'sync_runs', 'webhook_events',
                             'sync_jobs', 'audit_log', 'rate_limits', 'app_secrets']
    loop
        execute format('create trigger %I before update on %I for each row execute function set_updated_at()',
                       t || '_updated_at', t);
    end loop;
end
$$;
