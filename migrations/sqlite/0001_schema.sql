-- Tributary's whole data model (DESIGN §3) on SQLite: the same tables and
-- columns as migrations/postgres. Ids are UUID text, timestamps RFC 3339 text
-- in UTC (the format sqlx writes, so they compare correctly as text), booleans
-- 0/1, money integer minor units with an ISO currency code.

create table users (
    id            text primary key,
    email         text not null collate nocase,
    password_hash text not null,
    created_at    text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at    text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
create unique index users_email_key on users (email collate nocase);

create table sessions (
    id          text primary key,
    user_id     text references users (id) on delete cascade,
    data        blob not null,
    expiry_date text not null,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at  text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
create index sessions_expiry_idx on sessions (expiry_date);
create index sessions_user_idx on sessions (user_id);

create table institutions (
    id                      text primary key,
    provider                text not null check (provider in ('plaid', 'pluggy')),
    provider_institution_id text not null,
    name                    text not null,
    logo                    text,
    primary_color           text,
    url                     text,
    countries               text not null default '[]',
    created_at              text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at              text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    constraint institutions_provider_key unique (provider, provider_institution_id)
);

create table connections (
    id                   text primary key,
    user_id              text not null references users (id) on delete cascade,
    provider             text not null check (provider in ('plaid', 'pluggy')),
    provider_item_id     text not null,
    institution_id       text references institutions (id),
    access_token_enc     text not null,
    status               text not null default 'active' check (status in (
                             'active', 'syncing', 'needs_relink', 'expiring',
                             'rate_limited', 'error', 'revoked', 'disconnected')),
    status_detail        text,
    error_code           text,
    consent_expires_at   text,
    sync_cursor          text,
    last_synced_at       text,
    next_sync_allowed_at text,
    next_sync_at         text,
    created_at           text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at           text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    constraint connections_provider_item_key unique (provider, provider_item_id)
);
create index connections_user_idx on connections (user_id);
create index connections_next_sync_idx on connections (next_sync_at);

create table accounts (
    id                  text primary key,
    connection_id       text not null references connections (id) on delete cascade,
    user_id             text not null references users (id) on delete cascade,
    provider_account_id text not null,
    name                text not null,
    official_name       text,
    mask                text,
    type                text not null,
    subtype             text,
    currency            text not null,
    current_balance     integer,
    available_balance   integer,
    credit_limit        integer,
    created_at          text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at          text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    constraint accounts_provider_account_key unique (connection_id, provider_account_id)
);
create index accounts_user_idx on accounts (user_id);

create table balance_snapshots (
    account_id text not null references accounts (id) on delete cascade,
    day        text not null,
    current    integer,
    available  integer,
    currency   text not null,
    created_at text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    primary key (account_id, day)
);

create table transactions (
    id                      text primary key,
    account_id              text not null references accounts (id) on delete cascade,
    user_id                 text not null references users (id) on delete cascade,
    provider_transaction_id text not null,
    pending_transaction_id  text,
    amount                  integer not null,
    currency                text not null,
    date                    text not null,
    authorized_date         text,
    name                    text not null,
    merchant_name           text,
    category_primary        text,
    category_detailed       text,
    payment_channel         text,
    pending                 boolean not null default 0,
    logo_url                text,
    removed_at              text,
    user_category           text,
    user_note               text,
    hidden                  boolean not null default 0,
    created_at              text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at              text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    constraint transactions_provider_key unique (account_id, provider_transaction_id)
);
create index transactions_user_date_idx on transactions (user_id, date desc, id desc) where removed_at is null;
create index transactions_account_date_idx on transactions (account_id, date desc) where removed_at is null;
create index transactions_pending_link_idx on transactions (account_id, pending_transaction_id)
    where pending_transaction_id is not null;

create table sync_runs (
    id            text primary key,
    connection_id text not null references connections (id) on delete cascade,
    trigger       text not null check (trigger in ('link', 'manual', 'webhook', 'schedule')),
    started_at    text not null,
    finished_at   text,
    outcome       text not null default 'running',
    pages         integer not null default 0,
    added         integer not null default 0,
    modified      integer not null default 0,
    removed       integer not null default 0,
    error_code    text,
    error_message text,
    created_at    text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at    text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
create index sync_runs_connection_idx on sync_runs (connection_id, started_at desc);

create table webhook_events (
    id           text primary key,
    provider     text not null check (provider in ('plaid', 'pluggy')),
    delivery_key text not null,
    received_at  text not null,
    verified     boolean not null,
    event_type   text,
    item_id      text,
    processed_at text,
    outcome      text,
    created_at   text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at   text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    constraint webhook_events_delivery_key unique (provider, delivery_key)
);

create table sync_jobs (
    id              text primary key,
    connection_id   text not null references connections (id) on delete cascade,
    reason          text not null check (reason in ('link', 'manual', 'webhook', 'schedule')),
    run_after       text not null,
    attempts        integer not null default 0,
    locked_by       text,
    locked_until    text,
    rerun_requested boolean not null default 0,
    last_error      text,
    created_at      text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at      text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    constraint sync_jobs_connection_key unique (connection_id)
);
create index sync_jobs_due_idx on sync_jobs (run_after);

create table audit_log (
    id         text primary key,
    user_id    text references users (id) on delete set null,
    action     text not null,
    detail     text,
    ip         text,
    user_agent text,
    created_at text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
create index audit_log_user_idx on audit_log (user_id, created_at desc);

create table rate_limits (
    bucket       text not null,
    window_start text not null,
    hits         integer not null,
    created_at   text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at   text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    primary key (bucket, window_start)
);

create table app_secrets (
    name       text primary key,
    value_enc  text not null,
    created_at text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at text not null default (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
