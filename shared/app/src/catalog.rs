//! The function table: every Lambda of the system, from every capability.
//! The Lambda binaries, the dev server and the template checks read it.

use std::sync::OnceLock;

use pc_api::functions::Function;

/// Every deployed function, in a stable order.
pub fn all() -> &'static [Function] {
    static ALL: OnceLock<Vec<Function>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = crate::system::functions();
        all.extend(pc_accounts::functions());
        all.extend(pc_leads::functions());
        all.extend(pc_notify::functions());
        all
    })
}

/// The function called `name`.
pub fn find(name: &str) -> Option<&'static Function> {
    all().iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_and_routes_are_unique() {
        let mut names = HashSet::new();
        let mut routes = HashSet::new();
        for f in all().iter().chain(crate::system::dev_functions().iter()) {
            assert!(names.insert(f.name), "duplicate function name {}", f.name);
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                f.name
            );
            if let Some(route) = f.method_and_path() {
                assert!(routes.insert(route.clone()), "duplicate route {route:?}");
            }
        }
    }
}
