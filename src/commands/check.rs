//! `mlpc check`: compile each spec and report every diagnostic.

use crate::out::{errln, outln};
use crate::render;
use mlp_data::FsWorld;
use serde_json::json;

pub fn run(args: &[String], json_output: bool, deny_warnings: bool) -> u8 {
    let files = match super::expand_inputs(args) {
        Ok(files) => files,
        Err(message) => return super::usage_error(&message),
    };
    let color = super::stderr_color();
    let (mut errors, mut warnings) = (0, 0);
    let mut reported = Vec::new();
    let mut compilations = Vec::with_capacity(files.len());
    for path in &files {
        match mlp_compiler::compile(&FsWorld, &super::absolute(path)) {
            Ok(c) => compilations.push(c),
            Err(reason) => return super::usage_error(&format!("cannot read `{}`: {reason}", path.display())),
        }
    }
    // A file that another checked file imports is a library: it needs nothing to run of its own
    // (E0209 is about the spec that imports it).
    let normalize = mlp_compiler::check::normalize;
    let imported: std::collections::HashSet<std::path::PathBuf> =
        compilations.iter().flat_map(|c| c.files.iter().skip(1).map(|f| normalize(&f.path))).collect();
    for compilation in &compilations {
        let library = compilation.files.first().is_some_and(|root| imported.contains(&normalize(&root.path)));
        for diagnostic in &compilation.diagnostics {
            if library && diagnostic.code == mlp_compiler::codes::Code::E0209 {
                continue;
            }
            if diagnostic.is_error() {
                errors += 1
            } else {
                warnings += 1
            }
            if json_output {
                reported.push(render::json(diagnostic, &compilation.files));
            } else {
                errln!("{}\n", render::human(diagnostic, &compilation.files, color));
            }
        }
    }
    let status = if errors > 0 || (deny_warnings && warnings > 0) { 1 } else { 0 };
    crate::out::set_status(status);
    if json_output {
        outln!("{}", json!({ "diagnostics": reported }));
    } else {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let checked = plural(files.len(), "file");
        match (errors, warnings) {
            (0, 0) => errln!("checked {checked}: no problems"),
            (0, w) => errln!("checked {checked}: {}", plural(w, "warning")),
            (e, 0) => errln!("checked {checked}: {}", plural(e, "error")),
            (e, w) => errln!("checked {checked}: {} and {}", plural(e, "error"), plural(w, "warning")),
        }
    }
    status
}
