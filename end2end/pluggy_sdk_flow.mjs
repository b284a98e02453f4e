// Pluggy's official Node client (pluggy-sdk), unchanged but for the base URL,
// against the Tributary sandbox: authenticate, list sandbox connectors, create
// an item with user-ok and wait for UPDATED, list accounts, page every
// transaction with the cursor API, create a connect token and a webhook, and
// delete the item. Usage: node pluggy_sdk_flow.mjs http://127.0.0.1:3000/sandbox/pluggy
import assert from "node:assert/strict";

const base = process.argv[2];
// The only change: the SDK reads its API address from PLUGGY_API_URL.
process.env.PLUGGY_API_URL = base;
const { PluggyClient } = await import("pluggy-sdk");

const client = new PluggyClient({ clientId: "sandbox-client-id", clientSecret: "sandbox-client-secret" });

const connectors = await client.fetchConnectors({ sandbox: true });
const bank = connectors.results.find((c) => c.name === "Pluggy Bank" && c.isSandbox);
assert.ok(bank, "the Pluggy Bank sandbox connector is listed");

let item = await client.createItem(bank.id, { user: "user-ok", password: "password-ok" });
for (let i = 0; i < 60 && item.status !== "UPDATED"; i++) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  item = await client.fetchItem(item.id);
}
assert.equal(item.status, "UPDATED");
assert.equal(item.executionStatus, "SUCCESS");

const accounts = await client.fetchAccounts(item.id);
assert.ok(accounts.results.some((a) => a.type === "BANK"));
assert.ok(accounts.results.some((a) => a.type === "CREDIT"));
let transactions = 0;
for (const account of accounts.results) {
  const all = await client.fetchAllTransactions(account.id);
  assert.ok(all.every((t) => t.accountId === account.id));
  transactions += all.length;
}
assert.ok(transactions > 0);

const token = await client.createConnectToken(item.id, { clientUserId: "sdk-check" });
assert.ok(token.accessToken);
const webhook = await client.createWebhook("item/updated", "http://127.0.0.1:9/hook", { "X-Secret": "s" });
assert.equal(webhook.event, "item/updated");
await client.deleteWebhook(webhook.id);

await client.deleteItem(item.id);
await assert.rejects(() => client.fetchItem(item.id), "a deleted item is gone");

console.log(`pluggy-sdk: item ${item.status}, ${accounts.results.length} accounts, ${transactions} transactions, item deleted`);
