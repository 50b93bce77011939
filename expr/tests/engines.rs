//! Every construct of the language through `Expression` (what the runtime calls) on a small table
//! with missing values in every column: compiled, and equal to the reference evaluator down to
//! the bytes of its buffers. tests/differential.rs does the same at random and at scale.

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use mlp_compiler::ast::{DefKind, Expr, Item};
use mlp_expr::{Columns, Engine, Expression, reference};
use std::sync::Arc;

fn parse(text: &str) -> Expr {
    let (ast, diagnostics) =
        mlp_compiler::syntax::parse(&format!("feature f = {text}\n"), mlp_compiler::diagnostic::FileId(0));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    match ast.items.into_iter().next() {
        Some(Item::Definition(d)) if d.kind == DefKind::Feature => d.value.expect("a value"),
        other => panic!("not a feature: {other:?}"),
    }
}

#[test]
fn every_construct_compiles_and_matches_the_reference() {
    let n = 37;
    let a: ArrayRef = Arc::new(Float64Array::from(
        (0..n).map(|i| if i % 5 == 0 { None } else { Some(i as f64 - 10.0) }).collect::<Vec<_>>(),
    ));
    let b: ArrayRef = Arc::new(Int64Array::from(
        (0..n).map(|i| if i % 7 == 0 { None } else { Some(i as i64 * 3 - 40) }).collect::<Vec<_>>(),
    ));
    let c: ArrayRef = Arc::new(BooleanArray::from(
        (0..n).map(|i| if i % 4 == 0 { None } else { Some(i % 3 == 0) }).collect::<Vec<_>>(),
    ));
    let s: ArrayRef = Arc::new(StringArray::from(
        (0..n).map(|i| if i % 6 == 0 { None } else { Some(["x", "y", "zz"][i % 3]) }).collect::<Vec<_>>(),
    ));
    let columns = Columns::new(n).with("a", &a).with("b", &b).with("c", &c).with("s", &s);
    for text in [
        "a + b",
        "a / b",
        "-a * 2",
        "a > b",
        "a != b",
        "c and a > 0",
        "c or a > 0",
        "not c",
        "is_missing(a)",
        "if c then a else b",
        "if a > 0 then s else \"x\"",
        "s == \"y\"",
        "s in [\"x\", \"zz\"]",
        "a in [1, 2, -5]",
        "abs(a) + sqrt(b) + floor(a / 3) + ceil(b / 7)",
        "round(a / 4)",
        "min(a, b)",
        "max(a, b)",
        "clamp(a, -2, 3)",
        "c == true",
        "(a > 0) == c",
        "if is_missing(a) then 0 else a",
    ] {
        let expr = parse(text);
        let type_of = |name: &str| columns.data_type(name).cloned();
        if let Err(e) = mlp_expr::jit::Kernel::compile(&expr, &type_of, mlp_expr::jit::Tier::Quick) {
            panic!("{text}: {e:?}");
        }
        let compiled = Expression::new(&expr, &columns, Engine::Jit);
        assert_eq!(compiled.engine(), Engine::Jit, "{text}");
        let jit = compiled.evaluate(&columns).unwrap();
        let reference = reference::evaluate(&expr, &columns).unwrap();
        assert_eq!(jit.to_data(), reference.to_data(), "{text}");
        // The same buffers, byte for byte (the runtime hashes them).
        let bytes = |a: &ArrayRef| {
            let data = a.to_data();
            let mut all: Vec<Vec<u8>> = data.buffers().iter().map(|b| b.as_slice().to_vec()).collect();
            all.push(a.nulls().map(|n| n.validity().to_vec()).unwrap_or_default());
            all
        };
        assert_eq!(bytes(&jit), bytes(&reference), "{text}");
    }
}
