#!/usr/bin/env python3
"""Plaid's official Python client (plaid-python), unchanged but for the host,
against the Tributary sandbox: public token -> exchange -> accounts -> sync to
the end -> remove. Usage: plaid_python_flow.py http://127.0.0.1:3000/sandbox/plaid
"""
import sys

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest


def main(host: str) -> None:
    configuration = plaid.Configuration(
        host=host,  # the only change: instead of plaid.Environment.Sandbox
        api_key={"clientId": "sandbox_client_id", "secret": "sandbox_secret"},
    )
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))

    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(institution_id="ins_109508", initial_products=[Products("transactions")])
    )
    exchange = client.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public.public_token))
    access_token = exchange.access_token
    accounts = client.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert len(accounts) == 3, accounts

    cursor, added, pages = "", 0, 0
    while True:
        page = client.transactions_sync(TransactionsSyncRequest(access_token=access_token, cursor=cursor, count=500))
        added += len(page.added)
        pages += 1
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert added > 0

    client.item_remove(ItemRemoveRequest(access_token=access_token))
    try:
        client.accounts_get(AccountsGetRequest(access_token=access_token))
        raise AssertionError("a removed item's token still works")
    except plaid.ApiException as error:
        assert "INVALID_ACCESS_TOKEN" in error.body, error.body

    print(f"plaid-python: {len(accounts)} accounts, {added} transactions in {pages} pages, item removed")


if __name__ == "__main__":
    main(sys.argv[1])
