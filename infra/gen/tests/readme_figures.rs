//! The figures infra/README.md gives about the template are the code's:
//! how many queues the template declares (each with its DLQ) and how many
//! secondary indexes the table has.

use pc_platform::queue::QueueName;
use pc_platform::store::Index;

const README: &str = include_str!("../../README.md");

#[test]
fn the_readme_counts_the_queues_and_indexes_the_code_has() {
    let queues = format!("each of the {} queues", QueueName::ALL.len());
    assert!(
        README.contains(&queues),
        "infra/README.md should say {queues:?}"
    );
    let indexes = format!("`gsi1`..`gsi{}`", Index::GSIS.len());
    assert!(
        README.contains(&indexes),
        "infra/README.md should say {indexes:?}"
    );
}
