//! template.yaml read back as YAML, and the readers of its scalar and
//! `Ref`/`Fn::GetAtt` values that every check uses.

use serde_yaml::Value;

use pc_infra::workspace_root;

pub(crate) fn template() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("template.yaml"))
        .expect("template.yaml exists");
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

pub(crate) fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// `{"Ref": id}` or `{"Fn::GetAtt": [id, ...]}` → id.
pub(crate) fn referenced(value: &Value) -> String {
    if let Some(id) = value.get("Ref") {
        return text(id);
    }
    value
        .get("Fn::GetAtt")
        .and_then(|a| a.get(0))
        .map(text)
        .unwrap_or_default()
}
