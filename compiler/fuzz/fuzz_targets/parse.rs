//! Parses arbitrary bytes (as lossy UTF-8): the parser must never panic. When the input parses
//! without errors, formatting must keep its meaning and be idempotent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mlp_compiler::FileId;
use mlp_compiler::format::{format, syntax_shape};
use mlp_compiler::syntax::parse;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (ast, diagnostics) = parse(&text, FileId(0));
    if diagnostics.iter().any(|d| d.is_error()) {
        return;
    }
    let formatted = format(&text).expect("a file without errors formats");
    let (reparsed, errors) = parse(&formatted, FileId(0));
    assert!(
        errors.is_empty(),
        "formatted text has errors: {errors:?}\n{formatted}"
    );
    assert_eq!(
        syntax_shape(&reparsed),
        syntax_shape(&ast),
        "formatting changed the meaning:\n{formatted}"
    );
    assert_eq!(
        format(&formatted).as_deref(),
        Ok(formatted.as_str()),
        "formatting is not idempotent"
    );
});
