-- Free-text search on a transaction's name and merchant (issue #6), served by
-- a trigram index instead of reading every row of the user's history.
--
-- FTS5's trigram tokenizer answers "contains this text" for queries of three
-- characters or more, case-insensitively; shorter ones still read the rows
-- (`sql/bank.rs`, `text_filter`).
--
-- The index is keyed by `transaction_search_keys.key`, an INTEGER PRIMARY
-- KEY, and not by the transactions' implicit rowid, which VACUUM may change.
-- The index keeps no copy of the text (contentless), and deletes by key.
-- Triggers keep both in step with every insert, rename and delete,
-- including the cascades from a deleted account or user.

create table transaction_search_keys (
    key            integer primary key,
    transaction_id text not null unique
);

create virtual table transaction_search using fts5 (
    name, merchant_name, content = '', contentless_delete = 1, tokenize = 'trigram'
);

insert into transaction_search_keys (transaction_id) select id from transactions;
insert into transaction_search (rowid, name, merchant_name)
    select k.key, t.name, t.merchant_name from transaction_search_keys k join transactions t on t.id = k.transaction_id;

create trigger transactions_search_insert after insert on transactions for each row
begin
    insert into transaction_search_keys (transaction_id) values (new.id);
    -- last_insert_rowid(): the key just made, while the trigger runs.
    insert into transaction_search (rowid, name, merchant_name) values (last_insert_rowid(), new.name, new.merchant_name);
end;

create trigger transactions_search_update after update of name, merchant_name on transactions for each row
when new.name is not old.name or new.merchant_name is not old.merchant_name
begin
    delete from transaction_search
        where rowid = (select key from transaction_search_keys where transaction_id = old.id);
    insert into transaction_search (rowid, name, merchant_name)
        values ((select key from transaction_search_keys where transaction_id = new.id), new.name, new.merchant_name);
end;

create trigger transactions_search_delete after delete on transactions for each row
begin
    delete from transaction_search
        where rowid = (select key from transaction_search_keys where transaction_id = old.id);
    delete from transaction_search_keys where transaction_id = old.id;
end;
