//! The `.mlp` language server (`mlpc lsp`): the protocol loop in [`server`], and one module of pure
//! analysis per capability (text + the last compilation in, LSP answers out), so each can be tested
//! and benchmarked without a client.

pub mod code_actions;
pub mod completion;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod navigation;
pub mod position;
pub mod semantic_tokens;
pub mod server;
pub mod symbols;

pub use server::{Server, run_stdio};

#[cfg(test)]
mod tests {
    use mlp_compiler::world::{Sample, SampleError, World};
    use std::path::Path;

    struct NoFiles;

    impl World for NoFiles {
        fn read_source(&self, _: &Path) -> Result<String, String> {
            Err("no such file".into())
        }
        fn sample(&self, _: &mlp_compiler::program::Format, _: &Path, _: usize) -> Result<Sample, SampleError> {
            Err(SampleError::NotFound)
        }
    }

    /// Every analysis at every byte offset (char boundaries or not) of awkward text: no panic.
    #[test]
    fn no_offset_panics() {
        let texts = [
            "",
            "pipeline p {\n  seed = \"é𝄞\" // ü\n}\nfeature f = a + 3e-4 ",
            "\u{0}\u{feff}model 𝄞 = mlp(\ngate g {\n  m.",
            "gate g {\n  x.accuracy on test >= 0.9\n}\nmodel x = mlp() {\n  optimizer = ",
        ];
        for text in texts {
            let compilation = mlp_compiler::compile_text(&NoFiles, Path::new("/t.mlp"), text);
            crate::symbols::outline(text);
            crate::formatting::format(text);
            crate::semantic_tokens::tokens(text, Some(&compilation), None);
            crate::diagnostics::for_file(&compilation, Path::new("/t.mlp"));
            let all = crate::navigation::occurrences(&compilation);
            for offset in 0..=text.len() + 2 {
                crate::hover::hover(text, offset, Some(&compilation), None);
                crate::completion::complete(text, offset, Some(&compilation), None);
                crate::navigation::name_at(&all, 0, offset);
            }
        }
    }
}
