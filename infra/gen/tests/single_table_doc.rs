//! docs/single-table.md and the code agree: every item a keys module's doc
//! table declares (`//! | item | pk | sk | …`, at the top of the crate's
//! `keys.rs`, beside the functions that build those keys) is in the
//! document, and every item of the document is declared by a keys module;
//! and every fixed part of a declared key (`SYNCTASK#`, `PAGE#`, `LEADS`)
//! is spelled in a keys module's code, so an item nothing writes any more
//! cannot stay documented. Items are compared by their `pk` and `sk`
//! patterns, with the names inside `<…>` ignored (`<pid>` and
//! `<partnerId>` are the same placeholder) and `a` / `b` alternatives
//! expanded.

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
         Declared by a keys module, missing from the document:\n  {}\n\
         In the document, declared by no keys module (add it to the owner's keys.rs table):\n  {}",
        undocumented.join("\n  "),
        undeclared.join("\n  ")
    );
}

#[test]
fn item_tables_are_in_keys_modules() {
    let elsewhere: Vec<String> = rust_files(&workspace_root().join("shared"))
        .into_iter()
        .filter(|file| file.file_name().is_some_and(|n| n != "keys.rs"))
        .filter(|file| !items(&fs::read_to_string(file).unwrap()).is_empty())
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        elsewhere.is_empty(),
        "item tables outside a keys module (move them to the crate's keys.rs, \
         beside the functions that build the keys):\n  {}",
        elsewhere.join("\n  ")
    );
}

#[test]
fn every_fixed_part_of_a_declared_key_is_spelled_by_a_keys_module() {
    let root = workspace_root();
    let mut declared = BTreeSet::new();
    let mut spelled = Vec::new();
    for file in rust_files(&root.join("shared")) {
        if file.file_name().is_some_and(|n| n == "keys.rs") {
            let text = fs::read_to_string(&file).unwrap();
            declared.extend(items(&text));
            spelled.extend(string_literals(&text));
        }
    }
    assert!(spelled.len() > 50, "the keys modules were not found");
    let unspelled: Vec<String> = declared
        .iter()
        .flat_map(|(pk, sk)| [pk, sk])
        .flat_map(|pattern| {
            fixed_parts(pattern)
                .into_iter()
                .map(move |part| (pattern, part))
        })
        .filter(|(_, part)| {
            !spelled
                .iter()
                .any(|literal| literal.contains(part.as_str()))
        })
        .map(|(pattern, part)| format!("`{part}` of {pattern}"))
        .collect();
    assert!(
        unspelled.is_empty(),
        "documented keys no keys module builds (a stale row, or a key spelled \
         outside its keys module):\n  {}",
        unspelled.join("\n  ")
    );
}

#[test]
fn fixed_parts_and_literals_are_read_as_written() {
    assert_eq!(fixed_parts("MONTH#<>#ACTIVE#<>"), ["MONTH#", "#ACTIVE#"]);
    assert_eq!(fixed_parts("<>#<>"), Vec::<String>::new());
    let code =
        "//! `NOT#`\nconst P: &str = \"LINE#\";\nfn k() { format!(\"{P}{id}\") } // \"NO#\"\n";
    assert_eq!(string_literals(code), ["LINE#", "LINE#{id}"]);
}

#[test]
fn placeholders_and_alternatives_are_normalised() {
    let text = "| item | pk | sk | gsi1 |\n|---|---|---|---|\n| x | `A#<pid>` / `B#<id>` | `TASK` / `PAGE#<page>` | `G` |\n";
    let found = items(text);
    assert_eq!(found.len(), 4);
    assert!(found.contains(&("A#<>".to_owned(), "PAGE#<>".to_owned())));
    let escaped = items("| item | pk | sk |\n|---|---|---|\n| x | `O#<a\\|b>#<id>` | `L` |\n");
    assert_eq!(
        escaped.into_iter().collect::<Vec<_>>(),
        [("O#<>#<>".to_owned(), "L".to_owned())]
    );
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

/// The text between placeholders of a normalised pattern, leaving out the
/// bare separators (`<>#<>` has none).
fn fixed_parts(pattern: &str) -> Vec<String> {
    pattern
        .split("<>")
        .filter(|part| !part.chars().all(|c| c == '#'))
        .map(str::to_owned)
        .collect()
}

/// The string literals of a Rust module's code (comments left out), with
/// `{NAME}` replaced by the value of the module's `const NAME: &str`.
fn string_literals(text: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut constants = Vec::new();
    for line in text.lines() {
        let code = code_of(line);
        let found = literals_in(code);
        if let (Some(name), [value]) = (const_name(code), found.as_slice()) {
            constants.push((format!("{{{name}}}"), value.clone()));
        }
        literals.extend(found);
    }
    literals
        .into_iter()
        .map(|literal| {
            constants
                .iter()
                .fold(literal, |text, (name, value)| text.replace(name, value))
        })
        .collect()
}

/// A line without its `//` comment (a `//` inside a string is kept).
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '/' if !in_string && line[i..].starts_with("//") => return &line[..i],
            _ => {}
        }
    }
    line
}

fn literals_in(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    let mut escaped = false;
    for c in code.chars() {
        if let Some(text) = current.as_mut() {
            if escaped {
                text.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                found.extend(current.take());
            } else {
                text.push(c);
            }
        } else if c == '"' {
            current = Some(String::new());
        }
    }
    found
}

/// `NAME` of a `const NAME: &str = …` line.
fn const_name(code: &str) -> Option<&str> {
    let rest = code.split("const ").nth(1)?;
    let (name, kind) = rest.split_once(':')?;
    kind.trim_start().starts_with("&str").then_some(name.trim())
}

/// The cells of a table row; `\\|` is a `|` inside a cell.
fn cells(line: &str) -> Vec<String> {
    line.trim_matches('|')
        .replace("\\|", "\u{0}")
        .split('|')
        .map(|c| c.trim().replace('\u{0}', "|"))
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
