//! Fault injection for tests: "the next N calls of this path (for this item)
//! fail like so". Each provider renders a fault in its own error format.

use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 in the provider's rate-limit format.
    RateLimit,
    /// 500 in the provider's error format.
    ServerError,
    /// The answer comes late (then normally).
    Delay,
    /// 200 with a body that is not valid JSON.
    Malformed,
}

/// A rule as the control endpoint receives it.
#[derive(Debug, Clone, Deserialize)]
pub struct FaultRule {
    /// The API path, e.g. `/transactions/sync`.
    pub path: String,
    pub kind: FaultKind,
    /// How many calls it applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// For `delay`.
    #[serde(default)]
    pub delay_ms: u64,
    /// Only calls about this item (Plaid item id / Pluggy item id), so tests
    /// running side by side do not trip over each other's faults.
    #[serde(default)]
    pub item_id: Option<String>,
    /// For `rate_limit`: the `Retry-After` seconds (Pluggy sends the header).
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
}

fn one() -> u32 {
    1
}

/// A fault to apply to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub delay: Duration,
    pub retry_after_secs: Option<u64>,
}

/// The pending rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    /// Adds a rule.
    pub fn add(&self, rule: FaultRule) {
        if rule.count > 0
            && let Ok(mut rules) = self.rules.lock()
        {
            rules.push(rule);
        }
    }

    /// Forgets every rule.
    pub fn clear(&self) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.clear();
        }
    }

    /// The fault for a call of `path` about `item_id`, using up one count of
    /// the first matching rule.
    pub fn take(&self, path: &str, item_id: Option<&str>) -> Option<Fault> {
        let mut rules = self.rules.lock().ok()?;
        let index = rules
            .iter()
            .position(|r| r.path == path && r.item_id.as_deref().is_none_or(|wanted| Some(wanted) == item_id))?;
        let rule = &mut rules[index];
        rule.count -= 1;
        let fault = Fault {
            kind: rule.kind,
            delay: Duration::from_millis(rule.delay_ms),
            retry_after_secs: rule.retry_after_secs,
        };
        if rule.count == 0 {
            rules.remove(index);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, count: u32, item: Option<&str>) -> FaultRule {
        FaultRule {
            path: path.into(),
            kind: FaultKind::RateLimit,
            count,
            delay_ms: 0,
            item_id: item.map(Into::into),
            retry_after_secs: None,
        }
    }

    #[test]
    fn rules_apply_n_times_to_their_path_and_item() {
        let faults = Faults::default();
        faults.add(rule("/transactions/sync", 2, Some("item-a")));
        assert!(faults.take("/accounts/get", Some("item-a")).is_none());
        assert!(faults.take("/transactions/sync", Some("item-b")).is_none());
        assert!(faults.take("/transactions/sync", Some("item-a")).is_some());
        assert!(faults.take("/transactions/sync", Some("item-a")).is_some());
        assert!(faults.take("/transactions/sync", Some("item-a")).is_none());
        faults.add(rule("/x", 5, None));
        assert!(faults.take("/x", Some("any")).is_some());
        faults.clear();
        assert!(faults.take("/x", None).is_none());
    }
}
