//! Checks the sandboxes' answers against the providers' OpenAPI schemas
//! (tests only). OpenAPI's component references become JSON Schema `$defs`
//! and OpenAPI 3.0's `nullable` becomes "or null".

use serde_json::{Value, json};

/// `node` as JSON Schema.
pub fn to_json_schema(node: &Value) -> Value {
    match node {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "nullable" => {}
                    "$ref" => {
                        let target = value.as_str().unwrap_or_default().replace("#/components/schemas/", "#/$defs/");
                        out.insert(key.clone(), json!(target));
                    }
                    _ => {
                        out.insert(key.clone(), to_json_schema(value));
                    }
                }
            }
            if map.get("nullable") == Some(&json!(true)) {
                // An enum that lists null keeps it; otherwise null is added.
                if let Some(Value::Array(values)) = out.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
                json!({ "anyOf": [Value::Object(out), { "type": "null" }] })
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// What in `body` breaks `schema` (OpenAPI form; `components` holds the
/// schemas it references), one line per violation.
pub fn violations(components: &Value, schema: &Value, body: &Value) -> Vec<String> {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": to_json_schema(components),
        "allOf": [to_json_schema(schema)],
    });
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator.iter_errors(body).map(|e| format!("{e} at {}", e.instance_path())).collect()
}
