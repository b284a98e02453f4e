#!/usr/bin/env python3
"""Extracts from Pluggy's official OpenAPI document the response schemas of
the endpoints the sandbox emulates (and every schema they reference), for the
schema test:

    python3 src/server/sandbox/pluggy/openapi_subset.py ../shared/specs/pluggy-openapi.json \
        > src/server/sandbox/pluggy/openapi_subset.json
"""
import json
import sys

OPERATIONS = [
    "POST /auth", "POST /connect_token", "GET /connectors", "GET /connectors/{id}", "POST /items",
    "GET /items/{id}", "PATCH /items/{id}", "DELETE /items/{id}", "POST /items/{id}/mfa", "GET /accounts",
    "GET /accounts/{id}", "GET /v2/transactions", "GET /transactions", "GET /transactions/{id}",
    "GET /webhooks", "POST /webhooks", "GET /webhooks/{id}", "PATCH /webhooks/{id}", "DELETE /webhooks/{id}",
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
    spec = json.load(open(path, encoding="utf-8"))
    components = spec["components"]
    responses = {}
    wanted = set()
    for operation in OPERATIONS:
        method, route = operation.split(" ", 1)
        out = {}
        for status, response in spec["paths"][route][method.lower()]["responses"].items():
            if "$ref" in response:
                response = components["responses"][response["$ref"].rsplit("/", 1)[-1]]
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema is not None:
                out[status] = schema
                refs(schema, wanted)
        responses[operation] = out
    done = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        refs(components["schemas"][name], wanted)
    json.dump(
        {"source": f"pluggy-openapi {spec['info'].get('version', '')}".strip(), "responses": responses,
         "schemas": {n: components["schemas"][n] for n in sorted(done)}},
        sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
