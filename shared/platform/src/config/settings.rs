//! The settings reader: one lookup (the environment, or a map in tests)
//! and the rule that decides when a missing value takes its development
//! default and when it stops a deployed function. Each settings group reads
//! through it, so the rule lives in one place.

use super::{ConfigError, Mode};

/// Reads settings from a lookup function (the environment, or a map in tests).
pub struct Settings<F: Fn(&str) -> Option<String>> {
    pub(super) mode: Mode,
    pub(super) lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Settings<F> {
    pub(super) fn get(&self, name: &'static str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    pub(super) fn required(
        &self,
        name: &'static str,
        local_default: &str,
    ) -> Result<String, ConfigError> {
        match (self.get(name), self.mode) {
            (Some(v), _) => Ok(v),
            (None, Mode::Local) => Ok(local_default.to_owned()),
            (None, Mode::Lambda) => Err(ConfigError::Missing(name)),
        }
    }
}
