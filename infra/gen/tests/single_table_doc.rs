//! docs/single-table.md and the code agree: every item a module's doc table
//! declares (`//! | item | pk | sk | …`, at the top of the module that owns
//! it) is in the document, and every item of the document is declared by a
//! module. Items are compared by their `pk` and `sk` patterns, with the
//! names inside `<…>` ignored (`<pid>` and `<partnerId>` are the same
//! placeholder) and `a` / `b` alternatives expanded.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use pc_infra::workspace_root;

type ItemKey = (String, String);

#[test]
fn the_single_table_document_lists_exactly_the_items_modules_declare() {
    let root = workspace_root();
    let document = items(&fs::read_to_string(root.join("docs/single-table.md")).unwrap());
    let mut declared: BTreeMap<ItemKey, PathBuf> = BTreeMap::new();
    for file in rust_files(&root.join("shared")) {
        for item in items(&fs::read_to_string(&file).unwrap()) {
            declared.entry(item).or_insert_with(|| file.clone());
        }
    }
    assert!(declared.len() > 50, "the module tables were not found");
    let undocumented: Vec<String> = declared
        .iter()
        .filter(|(item, _)| !document.contains(*item))
        .map(|((pk, sk), file)| format!("{pk} / {sk} (declared in {})", file.display()))
        .collect();
    let undeclared: Vec<String> = document
        .iter()
        .filter(|item| !declared.contains_key(*item))
        .map(|(pk, sk)| format!("{pk} / {sk}"))
        .collect();
    assert!(
        undocumented.is_empty() && undeclared.is_empty(),
        "docs/single-table.md and the modules' item tables differ.\n\
         Declared by a module, missing from the document:\n  {}\n\
         In the document, declared by no module (add it to the owner's module doc):\n  {}",
        undocumented.join("\n  "),
        undeclared.join("\n  ")
    );
}

#[test]
fn placeholders_and_alternatives_are_normalised() {
    let text = "| item | pk | sk | gsi1 |\n|---|---|---|---|\n| x | `A#<pid>` / `B#<id>` | `TASK` / `PAGE#<page>` | `G` |\n";
    let found = items(text);
    assert_eq!(found.len(), 4);
    assert!(found.contains(&("A#<>".to_owned(), "PAGE#<>".to_owned())));
}

/// The `(pk, sk)` patterns of every item table in `text` (Markdown, or the
/// `//!` lines of a Rust module).
fn items(text: &str) -> BTreeSet<ItemKey> {
    let mut found = BTreeSet::new();
    let mut header: Option<Vec<String>> = None;
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("//!").map(str::trim).unwrap_or(line);
        if line.starts_with("| item |") {
            header = Some(cells(line));
            continue;
        }
        let Some(columns) = &header else { continue };
        if line.starts_with("|---") {
            continue;
        }
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let row = cells(line);
        let column = |name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .and_then(|i| row.get(i))
                .cloned()
                .unwrap_or_default()
        };
        for pk in alternatives(&column("pk")) {
            for sk in alternatives(&column("sk")) {
                found.insert((pk.clone(), sk));
            }
        }
    }
    found
}

fn cells(line: &str) -> Vec<String> {
    line.trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

/// `` `TASK` / `ROWS#<page>` `` → `TASK`, `ROWS#<>`.
fn alternatives(cell: &str) -> Vec<String> {
    cell.split(" / ")
        .map(|pattern| normalise(pattern.trim()))
        .filter(|pattern| !pattern.is_empty())
        .collect()
}

fn normalise(pattern: &str) -> String {
    let mut out = String::new();
    let mut in_placeholder = false;
    for c in pattern.chars().filter(|c| *c != '`') {
        match c {
            '<' => {
                in_placeholder = true;
                out.push('<');
            }
            '>' if in_placeholder => {
                in_placeholder = false;
                out.push('>');
            }
            _ if in_placeholder => {}
            _ => out.push(c),
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}
