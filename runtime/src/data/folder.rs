//! placeholder
use super::Table;
use crate::error::{RunError, RunResult};
use mlp_compiler::program::Source;

pub(crate) fn load(source: &Source) -> RunResult<Table> {
    Err(RunError::new("E0701", format!("cannot read `{}` yet", source.name)))
}
