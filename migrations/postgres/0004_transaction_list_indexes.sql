-- The transactions list at 100,000+ rows (issue #6; `make bench` measures it,
-- README "Performance" has the numbers).
--
-- One index in the list's exact order (date, then created_at, then id, all
-- descending: TRANSACTION_ORDER), so a page is read in order with no sort,
-- and a deep page skips index entries rather than rows. It includes the
-- columns the list's cheap filters read (hidden, pending, account, amount,
-- currency),
-- so a count, or the ids of a page, can be an index-only scan. It serves
-- everything the (user_id, date, id) index did, which goes.
drop index if exists transactions_user_date_idx;
create index transactions_user_list_idx
    on transactions (user_id, date desc, created_at desc, id desc)
    include (hidden, pending, account_id, amount, currency)
    where removed_at is null;

-- The category filter and the filter menu's list of categories, both on the
-- effective category (the user's own, else the provider's).
create index transactions_user_category_idx
    on transactions (user_id, (coalesce(user_category, category_primary)))
    include (hidden)
    where removed_at is null;
