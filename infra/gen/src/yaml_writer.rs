//! Writes a YAML document that every YAML reader reads the same way.
//! CloudFormation tools (cfn-lint, SAM) use YAML 1.1 readers, for which a
//! plain `OFF` is a boolean and `2010-09-09` a date; serde_yaml writes for
//! YAML 1.2 and leaves both plain. So every string that is not plainly a
//! word-like text is written single-quoted.

use serde_yaml::Value;

/// Words YAML 1.1 reads as booleans or null.
const RESERVED: &[&str] = &[
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~",
];

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '/' || first == '$')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _./:@$(){}*?+,<>-".contains(c))
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with([':', ' '])
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str())
}

fn scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// A scalar or empty collection on one line; `None` for a nested block.
fn inline(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(scalar(s)),
        Value::Sequence(items) if items.is_empty() => Some("[]".into()),
        Value::Mapping(entries) if entries.is_empty() => Some("{}".into()),
        Value::Tagged(tagged) => inline(&tagged.value),
        _ => None,
    }
}

fn key_text(key: &Value) -> String {
    inline(key).unwrap_or_else(|| "''".into())
}

fn write_block(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Mapping(entries) => {
            for (key, value) in entries {
                match inline(value) {
                    Some(text) => out.push_str(&format!("{pad}{}: {text}\n", key_text(key))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", key_text(key)));
                        // Sequences sit at their key's indent, mappings deeper.
                        let deeper = if value.is_sequence() {
                            indent
                        } else {
                            indent + 2
                        };
                        write_block(out, value, deeper);
                    }
                }
            }
        }
        Value::Sequence(items) => {
            for item in items {
                match inline(item) {
                    Some(text) => out.push_str(&format!("{pad}- {text}\n")),
                    None => {
                        let mut nested = String::new();
                        write_block(&mut nested, item, indent + 2);
                        // The first line of the item goes after the dash.
                        let nested = nested.trim_start_matches(' ');
                        out.push_str(&format!("{pad}- {nested}"));
                    }
                }
            }
        }
        other => {
            if let Some(text) = inline(other) {
                out.push_str(&format!("{pad}{text}\n"));
            }
        }
    }
}

/// `value` as a YAML document (block style, keys in mapping order).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_block(&mut out, value, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_strings_are_quoted_and_read_back() {
        let value: Value = serde_yaml::from_str(
            r#"
Version: "2010-09-09"
Mode: "OFF"
Empty: ""
Plain: cron(0 9 * * ? *)
Quote: "it's"
List:
- a
- Key: "1"
  Other:
    Deep: [x]
Nested:
  Inner: true
  Count: 5
"#,
        )
        .unwrap();
        let text = to_string(&value);
        assert!(text.contains("Version: '2010-09-09'\n"), "{text}");
        assert!(text.contains("Mode: 'OFF'\n"), "{text}");
        assert!(text.contains("Plain: cron(0 9 * * ? *)\n"), "{text}");
        assert!(text.contains("Quote: 'it''s'\n"), "{text}");
        assert!(
            text.contains("- Key: '1'\n  Other:\n    Deep:\n    - x\n"),
            "{text}"
        );
        let back: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
