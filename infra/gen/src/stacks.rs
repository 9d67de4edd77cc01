//! How the deployment is split so that every stack fits CloudFormation's
//! 500 resources: template.yaml is the root stack (the table, the bus, the
//! queues, the APIs, the alarm topic, the uploads bucket) and names one
//! nested application per capability (`infra/stacks/<capability>.yaml`,
//! the functions of one module of `pc_host::catalog::modules()`, with their
//! log groups, alarms and routes).
//!
//! A child stack is generated with the same code as if it were part of the
//! root, then [`externalize`]d: every `Ref`, `Fn::GetAtt` and `${…}` of a
//! root parameter or resource becomes a parameter of the child, and the
//! root passes the value. `Ref: Table` stays `Ref: Table` (a parameter
//! holding the table's name); `Fn::GetAtt: [EmailsQueue, Arn]` becomes
//! `Ref: EmailsQueueArn`. A child declares exactly the parameters it uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, bail};
use serde_yaml::{Mapping, Value};

use pc_http::functions::Function;

use crate::names::pascal_case;
use crate::template::{get_att, insert, map, r, s};

/// Where the nested stacks' templates are, relative to the workspace root
/// (and to template.yaml, which names them by this path).
pub const STACKS_DIR: &str = "infra/stacks";
/// SAM's documented limit on a nested application's parameters.
pub const MAX_APPLICATION_PARAMETERS: usize = 60;

/// One capability: a module of the function table, deployed as one
/// nested stack.
#[derive(Clone)]
pub struct Capability {
    /// `leads`, `crm-sync`, `system`: the stack's file name.
    pub name: String,
    pub functions: Vec<Function>,
}

impl Capability {
    /// The template's path from the workspace root.
    pub fn path(&self) -> String {
        format!("{STACKS_DIR}/{}.yaml", self.name)
    }

    /// The logical id of its nested application in template.yaml.
    pub fn application_id(&self) -> String {
        format!("{}Stack", pascal_case(&self.name))
    }
}

/// The capability name of a module path: `pc_leads::functions` → `leads`,
/// `pc_crm::sync_functions` → `crm-sync`, `pc_host::system::functions` →
/// `system`.
pub fn capability_name(module: &str) -> String {
    let segments: Vec<&str> = module.split("::").collect();
    let (first, rest) = segments.split_first().expect("a module path has a crate");
    let (last, middle) = rest.split_last().map_or(("", &[][..]), |(l, m)| (*l, m));
    let mut parts: Vec<String> = if middle.is_empty() {
        vec![first.trim_start_matches("pc_").to_owned()]
    } else {
        middle.iter().map(|m| (*m).to_owned()).collect()
    };
    if let Some(prefix) = last.strip_suffix("_functions") {
        parts.push(prefix.to_owned());
    }
    parts.join("-").replace('_', "-")
}

/// The deployed `functions` grouped by capability, in table order; a
/// capability with no deployed function has no stack.
pub fn capabilities(functions: &[Function]) -> anyhow::Result<Vec<Capability>> {
    let mut capabilities: Vec<Capability> = Vec::new();
    let mut placed = 0;
    for (module, members) in pc_host::catalog::modules() {
        let deployed: Vec<Function> = functions
            .iter()
            .filter(|f| members.iter().any(|m| m.name == f.name))
            .copied()
            .collect();
        placed += deployed.len();
        if deployed.is_empty() {
            continue;
        }
        let name = capability_name(module);
        if capabilities.iter().any(|c| c.name == name) {
            bail!("two modules would deploy as the stack {name}");
        }
        capabilities.push(Capability {
            name,
            functions: deployed,
        });
    }
    if placed != functions.len() {
        bail!("some deployed function is in no module of pc_host::catalog::modules()");
    }
    Ok(capabilities)
}

/// What a child stack takes from the root: its parameter, the value the
/// root passes, and how the child's parameter is declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Wiring {
    pub parameter: String,
    /// `Ref: X` or `Fn::GetAtt: [X, Attr]` in the root.
    pub value: Value,
    pub declaration: Value,
}

/// The root's names a child may refer to: its parameters (with their
/// declarations) and its resources.
pub struct Root<'a> {
    pub parameters: &'a Mapping,
    pub resources: &'a Mapping,
}

impl Root<'_> {
    fn has_resource(&self, id: &str) -> bool {
        self.resources.contains_key(id)
    }

    fn has_parameter(&self, id: &str) -> bool {
        self.parameters.contains_key(id)
    }
}

/// Rewrites `value` (a child's `Globals`, `Conditions`, `Resources` or
/// `Outputs`) so that it names root parameters and resources through
/// parameters of its own, and records each one in `wiring`.
pub fn externalize(
    value: &mut Value,
    root: &Root,
    wiring: &mut BTreeMap<String, Wiring>,
) -> anyhow::Result<()> {
    match value {
        Value::Mapping(mapping) => {
            if mapping.len() == 1 {
                if let Some(Value::String(id)) = mapping.get("Ref") {
                    let id = id.clone();
                    wire_ref(&id, root, wiring)?;
                    return Ok(());
                }
                if let Some(Value::Sequence(args)) = mapping.get("Fn::GetAtt")
                    && let [Value::String(id), Value::String(attribute)] = args.as_slice()
                    && root.has_resource(id)
                {
                    let parameter = wire_att(id, attribute, wiring);
                    *value = r(&parameter);
                    return Ok(());
                }
                if let Some(Value::String(text)) = mapping.get("Fn::Sub") {
                    let rewritten = rewrite_sub(text, root, wiring)?;
                    mapping.insert(Value::from("Fn::Sub"), Value::String(rewritten));
                    return Ok(());
                }
            }
            for (_, v) in mapping.iter_mut() {
                externalize(v, root, wiring)?;
            }
        }
        Value::Sequence(items) => {
            for item in items {
                externalize(item, root, wiring)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn wire_ref(id: &str, root: &Root, wiring: &mut BTreeMap<String, Wiring>) -> anyhow::Result<()> {
    if id.starts_with("AWS::") || wiring.contains_key(id) {
        return Ok(());
    }
    let declaration = if let Some(declaration) = root.parameters.get(id) {
        declaration.clone()
    } else if root.has_resource(id) {
        map([
            ("Type", s("String")),
            (
                "Description",
                s(format!("Ref of {id} in template.yaml (the root stack).")),
            ),
        ])
    } else {
        return Ok(());
    };
    wiring.insert(
        id.to_owned(),
        Wiring {
            parameter: id.to_owned(),
            value: r(id),
            declaration,
        },
    );
    Ok(())
}

fn wire_att(id: &str, attribute: &str, wiring: &mut BTreeMap<String, Wiring>) -> String {
    let parameter = format!("{id}{}", attribute.replace('.', ""));
    wiring.entry(parameter.clone()).or_insert_with(|| Wiring {
        parameter: parameter.clone(),
        value: get_att(id, attribute),
        declaration: map([
            ("Type", s("String")),
            (
                "Description",
                s(format!(
                    "{id}.{attribute} in template.yaml (the root stack)."
                )),
            ),
        ]),
    });
    parameter
}

/// `${X}` and `${X.Attr}` of root names in an `Fn::Sub` text, rewritten to
/// the child's parameters; `${AWS::…}`, `${!literal}` and the child's own
/// names stay.
fn rewrite_sub(
    text: &str,
    root: &Root,
    wiring: &mut BTreeMap<String, Wiring>,
) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            bail!("unclosed ${{ in Fn::Sub {text:?}");
        };
        let name = &after[..end];
        let replacement = match name.split_once('.') {
            Some((id, attribute)) if root.has_resource(id) => wire_att(id, attribute, wiring),
            _ => {
                if root.has_parameter(name) || root.has_resource(name) {
                    wire_ref(name, root, wiring)?;
                }
                name.to_owned()
            }
        };
        out.push_str("${");
        out.push_str(&replacement);
        out.push('}');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The child's `Parameters`, from its wiring.
pub fn parameters(wiring: &BTreeMap<String, Wiring>) -> Value {
    let mut parameters = Mapping::new();
    for w in wiring.values() {
        insert(&mut parameters, w.parameter.clone(), w.declaration.clone());
    }
    Value::Mapping(parameters)
}

/// The root's `AWS::Serverless::Application` of `capability`, passing what
/// its stack takes.
pub fn application(
    capability: &Capability,
    wiring: &BTreeMap<String, Wiring>,
) -> anyhow::Result<Value> {
    if wiring.len() > MAX_APPLICATION_PARAMETERS {
        bail!(
            "the {} stack takes {} parameters; SAM allows a nested application {MAX_APPLICATION_PARAMETERS}: split the capability",
            capability.name,
            wiring.len()
        );
    }
    let mut passed = Mapping::new();
    for w in wiring.values() {
        insert(&mut passed, w.parameter.clone(), w.value.clone());
    }
    Ok(map([
        ("Type", s("AWS::Serverless::Application")),
        (
            "Properties",
            map([
                ("Location", s(capability.path())),
                ("Parameters", Value::Mapping(passed)),
            ]),
        ),
    ]))
}

/// The names `value` refers to with `Ref`, `Fn::If` or a resource's
/// `Condition`, for keeping only the conditions a stack uses.
pub fn condition_names(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Mapping(mapping) => {
            for (key, v) in mapping {
                match (key.as_str(), v) {
                    (Some("Condition"), Value::String(name)) => {
                        names.insert(name.clone());
                    }
                    (Some("Fn::If"), Value::Sequence(args)) => {
                        if let Some(Value::String(name)) = args.first() {
                            names.insert(name.clone());
                        }
                        condition_names(v, names);
                    }
                    _ => condition_names(v, names),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|i| condition_names(i, names)),
        _ => {}
    }
}

/// The whole deployment as one template, for the checks: template.yaml
/// with each nested stack's resources inlined, every parameter of a child
/// replaced by what the root passes (`Ref: EmailsQueueArn` is
/// `Fn::GetAtt: [EmailsQueue, Arn]` again). Fails when a child takes a
/// parameter the root does not pass, or the root passes one the child
/// does not declare. `Globals` are the children's (all alike).
pub fn read_deployment(workspace: &Path) -> anyhow::Result<Value> {
    let read = |path: &Path| -> anyhow::Result<Value> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_yaml::from_str(&text).with_context(|| format!("{} is not YAML", path.display()))
    };
    let mut deployment = read(&workspace.join(crate::template::ROOT_TEMPLATE))?;
    let root_resources = deployment["Resources"]
        .as_mapping()
        .context("template.yaml has no Resources")?
        .clone();
    let mut resources = Mapping::new();
    let mut globals: Option<Value> = None;
    let mut conditions = deployment
        .get("Conditions")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    for (id, resource) in &root_resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Application") {
            resources.insert(id.clone(), resource.clone());
            continue;
        }
        let location = resource["Properties"]["Location"]
            .as_str()
            .with_context(|| format!("{id:?} has no Location"))?;
        let passed = resource["Properties"]["Parameters"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        let mut child = read(&workspace.join(location))?;
        let declared = child["Parameters"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for name in declared.keys() {
            if !passed.contains_key(name) {
                bail!("{location} takes {name:?}, which template.yaml does not pass");
            }
        }
        for name in passed.keys() {
            if !declared.contains_key(name) {
                bail!("template.yaml passes {name:?} to {location}, which does not take it");
            }
        }
        inline(&mut child, &passed);
        for (child_id, child_resource) in
            child["Resources"].as_mapping().cloned().unwrap_or_default()
        {
            if resources.contains_key(&child_id) || root_resources.contains_key(&child_id) {
                bail!("{child_id:?} of {location} is declared twice");
            }
            resources.insert(child_id, child_resource);
        }
        if let Some(child_conditions) = child.get("Conditions").and_then(Value::as_mapping) {
            conditions.extend(child_conditions.clone());
        }
        match &globals {
            Some(g) if *g != child["Globals"] => bail!("{location} has other Globals"),
            Some(_) => {}
            None => globals = Some(child["Globals"].clone()),
        }
    }
    let template = deployment
        .as_mapping_mut()
        .context("template.yaml is a mapping")?;
    template.insert(Value::from("Resources"), Value::Mapping(resources));
    template.insert(Value::from("Conditions"), Value::Mapping(conditions));
    if let Some(globals) = globals {
        template.insert(Value::from("Globals"), globals);
    }
    Ok(deployment)
}

/// Replaces a child's parameters by the values passed for them.
fn inline(value: &mut Value, passed: &Mapping) {
    match value {
        Value::Mapping(mapping) => {
            if mapping.len() == 1 {
                if let Some(given) = mapping.get("Ref").and_then(|id| passed.get(id)) {
                    *value = given.clone();
                    return;
                }
                if let Some(Value::String(text)) = mapping.get("Fn::Sub") {
                    let text = inline_sub(text, passed);
                    mapping.insert(Value::from("Fn::Sub"), Value::String(text));
                    return;
                }
            }
            for (_, v) in mapping.iter_mut() {
                inline(v, passed);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|i| inline(i, passed)),
        _ => {}
    }
}

fn inline_sub(text: &str, passed: &Mapping) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').unwrap_or(after.len());
        let name = &after[..end];
        let replacement = match passed.get(name) {
            Some(given) => match (given.get("Ref"), given.get("Fn::GetAtt")) {
                (Some(Value::String(id)), _) => id.clone(),
                (_, Some(Value::Sequence(att))) => att
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("."),
                _ => name.to_owned(),
            },
            None => name.to_owned(),
        };
        out.push_str("${");
        out.push_str(&replacement);
        out.push('}');
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_come_from_module_paths() {
        assert_eq!(capability_name("pc_leads::functions"), "leads");
        assert_eq!(capability_name("pc_crm::sync_functions"), "crm-sync");
        assert_eq!(capability_name("pc_host::system::functions"), "system");
        assert_eq!(capability_name("pc_partner_api::functions"), "partner-api");
    }

    #[test]
    fn root_names_become_parameters_and_the_childs_own_stay() {
        let parameters = match map([("Stage", map([("Type", s("String"))]))]) {
            Value::Mapping(m) => m,
            _ => unreachable!(),
        };
        let resources = match map([("Table", s("")), ("EmailsQueue", s(""))]) {
            Value::Mapping(m) => m,
            _ => unreachable!(),
        };
        let root = Root {
            parameters: &parameters,
            resources: &resources,
        };
        let mut child = map([
            ("a", r("Table")),
            ("b", get_att("EmailsQueue", "Arn")),
            (
                "c",
                crate::template::sub(
                    "${Stage}-${Own}-${EmailsQueue.QueueName}-${AWS::Region}-${!x}",
                ),
            ),
            ("d", r("Own")),
        ]);
        let mut wiring = BTreeMap::new();
        externalize(&mut child, &root, &mut wiring).unwrap();
        assert_eq!(child["a"], r("Table"));
        assert_eq!(child["b"], r("EmailsQueueArn"));
        assert_eq!(
            child["c"]["Fn::Sub"].as_str(),
            Some("${Stage}-${Own}-${EmailsQueueQueueName}-${AWS::Region}-${!x}")
        );
        assert_eq!(child["d"], r("Own"));
        let passed: Vec<(&str, &Value)> = wiring
            .values()
            .map(|w| (w.parameter.as_str(), &w.value))
            .collect();
        assert_eq!(
            passed,
            [
                ("EmailsQueueArn", &get_att("EmailsQueue", "Arn")),
                ("EmailsQueueQueueName", &get_att("EmailsQueue", "QueueName")),
                ("Stage", &r("Stage")),
                ("Table", &r("Table")),
            ]
        );
        assert_eq!(wiring["Stage"].declaration, map([("Type", s("String"))]));
    }
}
