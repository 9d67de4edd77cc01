//! The deployment read back as YAML (template.yaml with every nested
//! stack inlined, each child's parameters replaced by what the root
//! passes), and the readers of its scalar and `Ref`/`Fn::GetAtt` values
//! that every check uses.

use serde_yaml::Value;

use pc_infra::workspace_root;

pub(crate) fn template() -> Value {
    pc_infra::stacks::read_deployment(&workspace_root())
        .expect("template.yaml and its stacks read back, wired")
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
