//! `mlpc lsp`: the language server on stdin/stdout, reading files and data samples from disk.

use crate::out::errln;
use mlp_data::FsWorld;

pub fn run() -> u8 {
    // The server needs the runtime's file-system world (CSV and JSON-lines samples for schemas),
    // which mlp-lsp cannot depend on without pulling in Candle, so the CLI hands it over.
    match mlp_lsp::run_stdio(Box::new(FsWorld)) {
        Ok(()) => 0,
        Err(reason) => {
            errln!("mlpc lsp: {reason}");
            2
        }
    }
}
