//! No drift between the function table and what is deployed: the generated
//! files are exactly what the generator writes now (nobody edited them by
//! hand, nobody forgot to regenerate), and template.yaml, read back as YAML,
//! declares exactly the table's functions, routes, function URLs, queues
//! with their dead-letter queues and schedules — no more, no less. One
//! module per check.

mod declared_resources;
mod generated_files;
mod queue_permissions;
mod secrets;
mod template_yaml;
