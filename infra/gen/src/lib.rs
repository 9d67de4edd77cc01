//! The infrastructure generator: from the one function table
//! (`pc_host::catalog::all()`) it derives the `functions/` binaries and their
//! Cargo.toml, template.yaml and its nested stacks (infra/stacks/), the OpenAPI document (`docs/openapi.json`),
//! the map of routes and triggers to handlers (`docs/routes.md`),
//! and a starting `events/` sample for each function that has none. [`Plan::write`] makes the tree match;
//! [`Plan::differences`] says what does not (the `check` command and the
//! drift test), so nobody edits generated files by hand.

pub mod event_samples;
pub mod functions_crate;
pub mod http_routes;
pub mod job_failures;
pub mod limits;
pub mod link_settings;
pub mod names;
pub mod observability;
pub mod routes_doc;
pub mod secrets;
pub mod stacks;
pub mod template;
pub mod websocket_api;
pub mod yaml_writer;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use pc_http::functions::{Function, Trigger};

/// The OpenAPI document of the deployed API, as the `api-docs-openapi`
/// function serves it (it includes the file, so its binary links no other
/// handler) and as a reader of the repository finds it.
pub const OPENAPI_PATH: &str = "docs/openapi.json";

/// The workspace root this generator was built in.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every function that is deployed (the table minus development routes).
pub fn deployed_functions() -> Vec<Function> {
    pc_host::catalog::all()
        .iter()
        .filter(|f| !matches!(f.trigger, Trigger::Dev(_)))
        .copied()
        .collect()
}

/// What the tree should hold, paths relative to the workspace root.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Files that must be exactly this text.
    pub exact: BTreeMap<String, String>,
    /// Samples written only when missing.
    pub samples: BTreeMap<String, String>,
    /// Function names, for stale binaries and samples.
    pub names: Vec<String>,
}

impl Plan {
    /// The plan for `functions` (deployed ones, in table order).
    pub fn new(functions: &[Function]) -> anyhow::Result<Self> {
        let names: Vec<&str> = functions.iter().map(|f| f.name).collect();
        let modules = pc_host::catalog::modules();
        let module_of = |name: &str| {
            modules
                .iter()
                .find(|(_, fs)| fs.iter().any(|f| f.name == name))
                .map(|(module, _)| *module)
                .with_context(|| format!("{name} is in no module of pc_host::catalog::modules()"))
        };
        let mut exact = BTreeMap::new();
        for (path, text) in template::render(functions)? {
            exact.insert(path, text);
        }
        let document = pc_http::openapi::document(pc_host::catalog::all());
        exact.insert(
            OPENAPI_PATH.to_owned(),
            serde_json::to_string_pretty(&document)? + "\n",
        );
        let deployed_modules: Vec<(&str, Vec<Function>)> = modules
            .iter()
            .map(|(module, fs)| {
                let deployed = fs
                    .iter()
                    .filter(|f| names.contains(&f.name))
                    .copied()
                    .collect();
                (*module, deployed)
            })
            .collect();
        exact.insert(
            routes_doc::PATH.to_owned(),
            routes_doc::render(&workspace_root(), &deployed_modules)?,
        );
        let module_names: Vec<&str> = modules.iter().map(|(m, _)| *m).collect();
        exact.insert(
            "functions/Cargo.toml".to_owned(),
            functions_crate::cargo_toml(
                &names,
                &module_names,
                &functions
                    .iter()
                    .filter(|f| f.ports().payments)
                    .map(|f| f.name)
                    .collect::<Vec<_>>(),
                &functions
                    .iter()
                    .filter(|f| f.ports().crm)
                    .map(|f| f.name)
                    .collect::<Vec<_>>(),
            ),
        );
        exact.insert(
            "functions/src/lib.rs".to_owned(),
            functions_crate::lib_source(),
        );
        exact.insert(
            link_settings::PATH.to_owned(),
            link_settings::build_script(),
        );
        for function in functions {
            exact.insert(
                functions_crate::bin_path(function.name),
                functions_crate::bin_source(function, module_of(function.name)?)?,
            );
        }
        let samples = functions
            .iter()
            .filter_map(|f| {
                Some((
                    event_samples::sample_path(f.name),
                    event_samples::sample(f)?,
                ))
            })
            .collect();
        Ok(Self {
            exact,
            samples,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        })
    }

    /// Binaries under functions/src/bin that no function owns.
    fn stale_binaries(&self, root: &Path) -> anyhow::Result<Vec<String>> {
        Ok(list_dir(&root.join(functions_crate::BIN_DIR))?
            .into_iter()
            .filter(|file| {
                file.strip_suffix(".rs")
                    .is_none_or(|name| !self.names.iter().any(|n| n == name))
            })
            .map(|file| format!("{}/{file}", functions_crate::BIN_DIR))
            .collect())
    }

    /// Stack templates under infra/stacks that no capability has any more.
    fn stale_stacks(&self, root: &Path) -> anyhow::Result<Vec<String>> {
        Ok(list_dir(&root.join(stacks::STACKS_DIR))?
            .into_iter()
            .map(|file| format!("{}/{file}", stacks::STACKS_DIR))
            .filter(|path| !self.exact.contains_key(path))
            .collect())
    }

    /// Samples under events/ whose function (the name before the first
    /// dot: `x.json`, `x.invalid.json`) is not deployed.
    fn orphan_samples(&self, root: &Path) -> anyhow::Result<Vec<String>> {
        Ok(list_dir(&root.join(event_samples::SAMPLE_DIR))?
            .into_iter()
            .filter(|file| {
                let name = file.split('.').next().unwrap_or_default();
                file.ends_with(".json") && !self.names.iter().any(|n| n == name)
            })
            .map(|file| format!("{}/{file}", event_samples::SAMPLE_DIR))
            .collect())
    }

    /// What differs between the tree under `root` and the plan, one line
    /// each; empty when the tree is up to date.
    pub fn differences(&self, root: &Path) -> anyhow::Result<Vec<String>> {
        let mut differences = Vec::new();
        for (path, text) in &self.exact {
            match fs::read_to_string(root.join(path)) {
                Ok(current) if current == *text => {}
                Ok(_) => differences.push(format!("{path} differs from the generated one")),
                Err(_) => differences.push(format!("{path} is missing")),
            }
        }
        for path in self.samples.keys() {
            if !root.join(path).exists() {
                differences.push(format!("{path} is missing (every function needs a sample)"));
            }
        }
        for path in self.stale_binaries(root)? {
            differences.push(format!("{path} belongs to no function of the table"));
        }
        for path in self.stale_stacks(root)? {
            differences.push(format!("{path} is the stack of no capability"));
        }
        for path in self.orphan_samples(root)? {
            differences.push(format!("{path} belongs to no function of the table"));
        }
        Ok(differences)
    }

    /// Makes the tree under `root` match: writes what differs and missing
    /// samples, removes stale binaries. Orphan samples are only reported
    /// (someone wrote them by hand). Answers one line per change.
    pub fn write(&self, root: &Path) -> anyhow::Result<Vec<String>> {
        let mut changes = Vec::new();
        for (path, text) in &self.exact {
            let full = root.join(path);
            if fs::read_to_string(&full).ok().as_deref() != Some(text.as_str()) {
                write_file(&full, text)?;
                changes.push(format!("wrote {path}"));
            }
        }
        for (path, text) in &self.samples {
            let full = root.join(path);
            if !full.exists() {
                write_file(&full, text)?;
                changes.push(format!("wrote {path} (new sample; tune its body)"));
            }
        }
        for path in self
            .stale_binaries(root)?
            .into_iter()
            .chain(self.stale_stacks(root)?)
        {
            fs::remove_file(root.join(&path)).with_context(|| format!("removing {path}"))?;
            changes.push(format!("removed {path}"));
        }
        for path in self.orphan_samples(root)? {
            changes.push(format!("{path} belongs to no function; remove it by hand"));
        }
        Ok(changes)
    }
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// File names in `dir`, sorted; none when it does not exist.
fn list_dir(dir: &Path) -> anyhow::Result<Vec<String>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}
