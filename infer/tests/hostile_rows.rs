//! Rows from clients never panic the inference path: random bytes as a CSV body and random JSON
//! values as rows come back as tables or as field errors, each error naming a row that exists.

use mlp_compiler::types::ColumnType;
use mlp_infer::input::parse_csv_rows;
use mlp_infer::manifest::InputColumn;
use mlp_infer::rows::from_json;
use proptest::prelude::*;
use serde_json::Value;

fn inputs() -> Vec<InputColumn> {
    vec![
        InputColumn { name: "a".into(), ty: ColumnType::Float, optional: true },
        InputColumn { name: "b".into(), ty: ColumnType::Int, optional: false },
        InputColumn {
            name: "c".into(),
            ty: ColumnType::Category { levels: vec!["x".into(), "y".into()] },
            optional: true,
        },
        InputColumn { name: "d".into(), ty: ColumnType::Bool, optional: true },
        InputColumn { name: "s".into(), ty: ColumnType::Sequence { length: 3, features: 1 }, optional: false },
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[a-d_0-9]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]|s_[0-4]|label", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_json_rows_give_a_table_or_errors_on_real_rows(rows in prop::collection::vec(json_value(), 0..8)) {
        match from_json(&rows, &inputs(), &["label"]) {
            Ok(table) => prop_assert_eq!(table.rows, rows.len()),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(e.row.is_none_or(|r| r < rows.len()), "{:?}", e);
                }
            }
        }
    }

    #[test]
    fn random_csv_bodies_give_a_table_or_errors(body in prop::collection::vec(prop_oneof![
        Just(b'a'), Just(b'b'), Just(b','), Just(b'\n'), Just(b'"'), Just(b'1'), Just(b'.'), Just(b'x'), Just(b'\r'), any::<u8>()
    ], 0..200)) {
        let mut text = b"a,b,c,d,s_0,s_1,s_2\n".to_vec();
        text.extend_from_slice(&body);
        match parse_csv_rows(&text, &inputs()) {
            Ok(table) => prop_assert!(table.rows <= body.len() + 1),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
        let _ = parse_csv_rows(&body, &inputs());
    }
}
