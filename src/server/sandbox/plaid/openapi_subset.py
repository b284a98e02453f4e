#!/usr/bin/env python3
"""Extracts from Plaid's official OpenAPI document the response schemas of
the endpoints the sandbox emulates (and every schema they reference), so the
schema test can check the sandbox's answers without the 3 MB original.

    python3 src/server/sandbox/plaid/openapi_subset.py ../shared/specs/plaid-openapi.yml \
        > src/server/sandbox/plaid/openapi_subset.json

Needs PyYAML. The output keeps Plaid's OpenAPI 3.0 form (e.g. `nullable`);
the test turns it into JSON Schema.
"""
import json
import sys

import yaml

PATHS = [
    "/link/token/create", "/item/public_token/exchange", "/accounts/get", "/accounts/balance/get",
    "/transactions/sync", "/transactions/get", "/institutions/search", "/institutions/get_by_id",
    "/item/get", "/item/remove", "/item/webhook/update", "/webhook_verification_key/get",
    "/sandbox/public_token/create", "/sandbox/item/fire_webhook", "/sandbox/item/reset_login",
]


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def main(path):
    spec = yaml.safe_load(open(path, encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    responses = {}
    wanted = set()
    for p in PATHS:
        op = spec["paths"][p]["post"]["responses"]
        ok = op["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        responses[p] = {"200": ok, "error": "PlaidError"}
        wanted.update([ok, "PlaidError"])
    done = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        found = set()
        refs(schemas[name], found)
        wanted |= found
    out = {
        "source": f"plaid-openapi {spec['info']['version']}",
        "responses": responses,
        "schemas": {name: schemas[name] for name in sorted(done)},
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
