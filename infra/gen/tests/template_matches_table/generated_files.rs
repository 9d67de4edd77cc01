//! The generated files are exactly what the generator writes now.

use pc_infra::{Plan, deployed_functions, workspace_root};

#[test]
fn generated_files_are_up_to_date() {
    let plan = Plan::new(&deployed_functions()).expect("the table generates");
    let differences = plan.differences(&workspace_root()).unwrap();
    assert!(
        differences.is_empty(),
        "run `cargo run -p pc-infra -- generate`:\n{}",
        differences.join("\n")
    );
}

/// The counts infra/README.md states are the code's.
#[test]
fn the_infra_readme_counts_what_the_code_has() {
    let readme = std::fs::read_to_string(workspace_root().join("infra/README.md")).unwrap();
    let queues = pc_platform::queue::QueueName::ALL.len();
    assert!(
        readme.contains(&format!("each of the {queues} queues")),
        "infra/README.md must say \"each of the {queues} queues\""
    );
    let functions = deployed_functions();
    let stacks = pc_infra::stacks::capabilities(&functions).unwrap().len();
    let sentence = format!("{} functions in {stacks} nested stacks", functions.len());
    assert!(
        readme.contains(&sentence),
        "infra/README.md must say \"{sentence}\""
    );
}
