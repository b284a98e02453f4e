-- Money moved between the user's own accounts is neither income nor
-- spending. Plaid marks it with its TRANSFER_IN / TRANSFER_OUT categories and
-- the detailed LOAN_PAYMENTS_CREDIT_CARD_PAYMENT; Pluggy with its category
-- ids (kept in `category_detailed`): 05100000 "Credit card payment" and the
-- 04 family, "Same person transfer". Without them a Brazilian card's bill
-- counted as spending once more, on top of the purchases it pays for.
-- The same rule as `not_transfer!` in `src/server/store/sqlite.rs`.
create or replace function tributary_is_transfer(p_user_category text, p_primary text, p_detailed text)
returns boolean language sql immutable as $$
    select tributary_effective_category(p_user_category, p_primary) in ('TRANSFER_IN', 'TRANSFER_OUT')
        or (p_user_category is null
            and (coalesce(p_detailed, '') in ('LOAN_PAYMENTS_CREDIT_CARD_PAYMENT', '05100000')
                 or coalesce(p_detailed, '') like '04______'))
$$;
