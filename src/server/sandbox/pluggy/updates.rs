//! Moving items along the sandbox clock and announcing by webhook what
//! changed: item statuses, and new, updated or deleted transactions.

use chrono::TimeDelta;
use serde_json::json;

use super::PluggySandbox;
use super::data::{self, AccountKind, Dress, Txn, iso};
use super::items::progress;
use super::transactions::history_start;

impl PluggySandbox {
    /// Moves every item along and sends the webhooks its changes call for,
    /// including new and posted transactions (costly: it replays each item's
    /// history, so it runs every 30 s and when the control API moves time).
    pub fn tick(&self) {
        self.tick_with(true);
    }

    /// Moves every item along (status webhooks only): cheap, so it runs
    /// every second and before each API call.
    pub fn tick_items(&self) {
        self.tick_with(false);
    }

    fn tick_with(&self, transactions: bool) {
        let mut events = Vec::new();
        // Whether an item changed, and the state must be saved.
        let mut changed = false;
        let mut state = self.lock();
        let base = state.base.clone();
        let clock = self.clock.now();
        for item in state.items.values_mut() {
            let now = item.now(clock);
            let p = progress(item, now);
            if let Some(done) = p.succeeded_at
                && item.last_success.is_none_or(|l| l < done)
                && item.first_sync.is_none_or(|f| f <= done)
            {
                item.last_success = Some(done);
                item.first_sync.get_or_insert(done);
                item.failed_logins = 0;
                changed = true;
            }
            let signature = format!("{}|{}|{}", p.status, p.execution, iso(item.updated_at));
            if signature != item.announced {
                let first = item.announced.is_empty();
                item.announced = signature;
                changed = true;
                if p.status == "LOGIN_ERROR" && !first {
                    item.failed_logins = item.failed_logins.saturating_add(1);
                }
                let event = match p.status.as_str() {
                    "UPDATED" => Some(("item/updated", None)),
                    "LOGIN_ERROR" | "OUTDATED" => Some(("item/error", p.error.clone())),
                    "WAITING_USER_INPUT" => Some(("item/waiting_user_input", None)),
                    _ => None,
                };
                if let Some((name, error)) = event {
                    let mut extra = json!({});
                    if let Some((code, message)) = error {
                        extra = json!({"error": {"code": code, "message": message}});
                    }
                    events.push((item.id.clone(), item.webhook_url.clone(), name, extra));
                }
            }
            if !transactions {
                continue;
            }
            // What changed since the last announcement: transactions listed
            // now that were not then (created), listed both then and now but
            // changed between (updated: posted), listed then but withdrawn
            // since (deleted).
            let (Some(synced), Some(last_success)) = (item.first_sync, item.last_success) else { continue };
            let Some(since) = item.announced_until else {
                item.announced_until = Some(now);
                changed = true;
                continue;
            };
            if last_success > now || since >= now {
                continue;
            }
            let dress = Dress { item_id: &item.id, synced, now };
            let txns = data::timeline(&item.seed(), history_start(synced), now);
            for kind in AccountKind::ALL {
                let account_id = data::account_id(&item.id, kind);
                let of_account: Vec<&Txn> = txns.iter().filter(|t| t.account == kind).collect();
                let created = of_account.iter().filter(|t| t.visible_at(now) && dress.created_at(t) > since).count();
                if created > 0 {
                    let from = iso(since + TimeDelta::milliseconds(1));
                    let link = format!("{base}/v2/transactions?accountId={account_id}&createdAtFrom={from}");
                    events.push((
                        item.id.clone(),
                        item.webhook_url.clone(),
                        "transactions/created",
                        json!({"accountId": account_id, "transactionsCreatedAtFrom": from, "createdTransactionsLink": link}),
                    ));
                }
                let updated: Vec<String> = of_account
                    .iter()
                    .filter(|t| {
                        t.visible_at(now)
                            && dress.created_at(t) <= since
                            && dress.updated_at(t) > since
                            && dress.updated_at(t) <= now
                    })
                    .map(|t| dress.id(t))
                    .collect();
                if !updated.is_empty() {
                    events.push((
                        item.id.clone(),
                        item.webhook_url.clone(),
                        "transactions/updated",
                        json!({"accountId": account_id, "transactionIds": updated}),
                    ));
                }
                let deleted: Vec<String> = of_account
                    .iter()
                    .filter(|t| t.visible_at(since) && !t.visible_at(now))
                    .map(|t| dress.id(t))
                    .collect();
                if !deleted.is_empty() {
                    events.push((
                        item.id.clone(),
                        item.webhook_url.clone(),
                        "transactions/deleted",
                        json!({"accountId": account_id, "transactionIds": deleted}),
                    ));
                }
            }
            item.announced_until = Some(now);
            changed = true;
        }
        if changed {
            self.save(&mut state);
        }
        let hooks = state.webhooks.clone();
        drop(state);
        for (item_id, url, event, extra) in events {
            self.fire(&hooks, &item_id, url.as_deref(), event, extra);
        }
    }
}
