//! `mlpc graph`: the execution plan of a checked spec, as DOT, Mermaid or JSON.

use crate::out::{errln, out, outln};
use crate::render;
use mlp_data::FsWorld;
use std::path::Path;

pub enum Format {
    Dot,
    Mermaid,
    Json,
}

pub fn run(file: &Path, format: Format) -> u8 {
    let compilation = match mlp_compiler::compile(&FsWorld, &super::absolute(file)) {
        Ok(c) => c,
        Err(reason) => return super::usage_error(&format!("cannot read `{}`: {reason}", file.display())),
    };
    let color = super::stderr_color();
    for diagnostic in &compilation.diagnostics {
        errln!("{}\n", render::human(diagnostic, &compilation.files, color));
    }
    let Some(program) = &compilation.program else {
        errln!("no plan: the spec has errors");
        return 1;
    };
    let plan = mlp_compiler::plan::lower(program);
    match format {
        Format::Dot => out!("{}", plan.to_dot()),
        Format::Mermaid => out!("{}", plan.to_mermaid()),
        Format::Json => match serde_json::to_string_pretty(&plan.to_json_view()) {
            Ok(text) => outln!("{text}"),
            Err(e) => return super::usage_error(&format!("cannot encode the plan: {e}")),
        },
    }
    0
}
