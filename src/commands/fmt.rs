//! `mlpc fmt`: rewrite specs in the canonical style, or (`--check`) report which are not.

use crate::out::{errln, out, outln};
use crate::render;
use mlp_compiler::FileId;
use mlp_compiler::diagnostic::SourceFile;
use mlp_compiler::world::World;
use mlp_data::FsWorld;
use std::io::Read;
use std::path::Path;

pub fn run(args: &[String], check: bool) -> u8 {
    if args.len() == 1 && args[0] == "-" {
        let mut text = String::new();
        if std::io::stdin().read_to_string(&mut text).is_err() {
            return super::usage_error("standard input is not valid UTF-8");
        }
        return match format_one(Path::new("<stdin>"), &text) {
            Some(formatted) => {
                let status = if check && formatted != text { 1 } else { 0 };
                crate::out::set_status(status);
                out!("{formatted}");
                status
            }
            None => 1,
        };
    }
    let files = match super::expand_inputs(args) {
        Ok(files) => files,
        Err(message) => return super::usage_error(&message),
    };
    let mut status = 0;
    let mut unformatted = 0;
    for path in &files {
        let text = match FsWorld.read_source(path) {
            Ok(text) => text,
            Err(reason) => return super::usage_error(&format!("cannot read `{}`: {reason}", path.display())),
        };
        let Some(formatted) = format_one(path, &text) else {
            status = 1;
            continue;
        };
        if formatted == text {
            continue;
        }
        if check {
            crate::out::set_status(1);
            outln!("{}", render::display_path(path));
            unformatted += 1;
        } else if let Err(e) = std::fs::write(path, formatted) {
            return super::usage_error(&format!("cannot write `{}`: {e}", path.display()));
        }
    }
    if check && unformatted > 0 {
        errln!(
            "{unformatted} file{} not formatted; run `mlpc fmt` on {}",
            if unformatted == 1 { " is" } else { "s are" },
            if unformatted == 1 { "it" } else { "them" }
        );
        status = 1;
    }
    status
}

/// The formatted text, or `None` after printing the syntax errors that prevent formatting.
fn format_one(path: &Path, text: &str) -> Option<String> {
    match mlp_compiler::format::format(text) {
        Ok(formatted) => Some(formatted),
        Err(diagnostics) => {
            let files = [SourceFile { id: FileId(0), path: path.to_path_buf(), text: text.to_string() }];
            for diagnostic in &diagnostics {
                errln!("{}\n", render::human(diagnostic, &files, super::stderr_color()));
            }
            errln!("{}: not formatted because of syntax errors", render::display_path(path));
            None
        }
    }
}
