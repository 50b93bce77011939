//! The one time order that windows and the `by_time` split share: numbers ascending, text in
//! byte order (ISO 8601), ties in their given order, and a row without a time an error (E0714) at
//! its line.

use mlp_compiler::types::{Column, ColumnType, Schema};
use mlp_data::{Table, parse_csv, time_order};

/// A table of `text`, which is also written to a file: a row's line is read again from its file.
fn table(text: &str, ty: ColumnType) -> Table {
    let dir = std::env::temp_dir().join(format!("mlp-time-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path =
        dir.join(format!("times-{:016x}.csv", text.bytes().fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b))));
    std::fs::write(&path, text).expect("written");
    let columns = vec![
        Column { name: "t".into(), ty, nullable: true },
        Column { name: "id".into(), ty: ColumnType::Int, nullable: false },
    ];
    parse_csv(text.as_bytes(), b',', &Schema { columns, inferred: false }, &path).expect("loads")
}

#[test]
fn numbers_and_iso_times_sort_with_ties_in_their_given_order() {
    let numbers = table("t,id\n3,0\n-1.5,1\n3,2\n0,3\n", ColumnType::Float);
    assert_eq!(time_order(&numbers, "t", &[0, 1, 2, 3]).unwrap(), vec![1, 3, 0, 2]);
    // Positions in the rows given, in their order for ties.
    assert_eq!(time_order(&numbers, "t", &[2, 0, 3]).unwrap(), vec![2, 0, 1]);
    let ints = table("t,id\n10,0\n9,1\n-2,2\n", ColumnType::Int);
    assert_eq!(time_order(&ints, "t", &[0, 1, 2]).unwrap(), vec![2, 1, 0]);
    let iso = "t,id\n2026-01-02T10:00,0\n2025-12-31,1\n2026-01-02T09:30,2\n2026-01-02T10:00,3\n";
    let texts = table(iso, ColumnType::Text);
    assert_eq!(time_order(&texts, "t", &[0, 1, 2, 3]).unwrap(), vec![1, 2, 0, 3]);
}

#[test]
fn a_row_without_a_time_is_e0714_at_its_line() {
    for (ty, missing) in [(ColumnType::Float, "NaN"), (ColumnType::Float, ""), (ColumnType::Text, "NA")] {
        let times = table(&format!("t,id\n1,0\n{missing},1\n2,2\n"), ty);
        let error = time_order(&times, "t", &[0, 1, 2]).expect_err("row 1 has no time");
        assert_eq!(error.code, "E0714");
        let location = error.location.expect("located");
        assert_eq!((location.line, location.column.as_deref()), (Some(3), Some("t")));
        assert_eq!(location.text.map(|t| t.text), Some(format!("{missing},1")));
        // Rows left out are not looked at.
        assert_eq!(time_order(&times, "t", &[2, 0]).unwrap(), vec![1, 0]);
    }
}
