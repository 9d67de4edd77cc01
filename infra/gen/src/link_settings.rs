//! functions/build.rs: the build script of the Lambda binaries, which
//! includes the hand-written link settings of `infra/lambda_link.rs` (the
//! benchmark's build script includes them too).

use crate::functions_crate::GENERATED_BY;

/// Where the build script lives, relative to the workspace root.
pub const PATH: &str = "functions/build.rs";

/// The text of functions/build.rs.
pub fn build_script() -> String {
    format!(
        "//! The link settings of the release Lambda binaries, kept in\n\
         //! infra/lambda_link.rs. {GENERATED_BY}\n\
         \n\
         include!(\"../infra/lambda_link.rs\");\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_script_includes_the_settings_that_exist() {
        let script = build_script();
        assert!(
            script.contains("include!(\"../infra/lambda_link.rs\");"),
            "{script}"
        );
        let settings = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lambda_link.rs");
        let text = std::fs::read_to_string(&settings).expect("infra/lambda_link.rs");
        assert!(text.contains("p == \"release\""), "release builds only");
        assert!(text.contains("rustc-link-arg-bins=-no-pie"));
    }
}
