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
