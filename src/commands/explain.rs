//! `mlpc explain CODE`: the long explanation of a diagnostic code.

use crate::out::outln;
use mlp_compiler::codes::Code;

pub fn run(code: &str) -> u8 {
    let wanted = code.trim().to_ascii_uppercase();
    match Code::lookup(&wanted) {
        Some(code) => {
            outln!("{}", code.explanation().trim_end());
            0
        }
        None => {
            let help = match mlp_compiler::check::did_you_mean(&wanted, Code::ALL.iter().map(|c| c.as_str())) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "codes look like E0102 or W0001; docs/diagnostics.md lists them all".to_string(),
            };
            super::usage_error(&format!("unknown diagnostic code `{code}`: {help}"))
        }
    }
}
