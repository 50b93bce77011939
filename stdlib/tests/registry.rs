//! mlp-stdlib's registry names only declared kinds, once each; the runtime's test
//! (runtime/tests/registry.rs) checks that the workspace's registries cover every declaration.

use mlp_compiler::stdlib::Stdlib;
use mlp_stdlib::registry::{Implementation, STDLIB};
use std::collections::BTreeSet;

fn declared_kinds() -> BTreeSet<String> {
    Stdlib::get()
        .all()
        .iter()
        .map(|b| if b.kind == "settings" { format!("settings.{}", b.name) } else { b.kind.clone() })
        .collect()
}

#[test]
fn every_entry_is_a_declared_kind_listed_once() {
    let declared = declared_kinds();
    let mut seen = BTreeSet::new();
    for entry in STDLIB {
        assert!(declared.contains(entry.declared), "`{}` is not a kind stdlib/*.mlp declares", entry.declared);
        assert!(seen.insert(entry.declared), "`{}` is listed twice", entry.declared);
        assert!(matches!(entry.implementation, Implementation::By(path) if path.starts_with("crate::")));
    }
}

/// Every declared metric is a `MetricKind`, which `metrics::compute` matches exhaustively
/// (stdlib/tests/metrics.rs holds the declarations and the kinds together).
#[test]
fn metrics_are_computed_by_compute() {
    let metric = STDLIB.iter().find(|e| e.declared == "metric").expect("metrics are registered");
    assert_eq!(metric.implementation, Implementation::By("crate::metrics::compute"));
}
