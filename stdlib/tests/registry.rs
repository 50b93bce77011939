//! Every built-in declared in stdlib/*.mlp has a decision in the registry (implemented or
//! deferred with a reason), and the registry names nothing that is not declared.

use mlp_compiler::stdlib::Stdlib;
use mlp_stdlib::registry::{BUILTINS, Status};
use std::collections::BTreeSet;

#[test]
fn declarations_and_registry_agree() {
    let declared: BTreeSet<(String, String)> =
        Stdlib::get().all().iter().map(|b| (b.kind.clone(), b.name.clone())).collect();
    let registered: BTreeSet<(String, String)> =
        BUILTINS.iter().map(|(k, n, _)| (k.to_string(), n.to_string())).collect();
    let unregistered: Vec<_> = declared.difference(&registered).collect();
    let undeclared: Vec<_> = registered.difference(&declared).collect();
    assert!(unregistered.is_empty(), "declared in stdlib/*.mlp but not in the registry: {unregistered:?}");
    assert!(undeclared.is_empty(), "in the registry but not declared in stdlib/*.mlp: {undeclared:?}");
}

/// Every declared metric is a `MetricKind`, which `metrics::compute` matches exhaustively
/// (stdlib/tests/metrics.rs holds the declarations and the kinds together).
#[test]
fn every_declared_metric_is_computed() {
    for (kind, name, status) in BUILTINS {
        if *kind == "metric" {
            assert_eq!(*status, Status::Implemented("mlp_stdlib::metrics"), "metric `{name}`");
        }
    }
}

/// The deferred built-ins, listed here so that deferring another one is a visible decision.
#[test]
fn deferred_built_ins_are_the_known_ones() {
    let deferred: Vec<String> = BUILTINS
        .iter()
        .filter(|(_, _, s)| matches!(s, Status::Deferred(_)))
        .map(|(k, n, _)| format!("{k}.{n}"))
        .collect();
    let expected = [
        "target.http",
        "target.batch",
        "target.bundle",
        "statistic.psi",
        "statistic.ks",
        "statistic.js",
        "action.warn",
        "action.alert",
        "action.retrain",
        "action.rollback",
        "settings.deploy",
    ];
    assert_eq!(deferred, expected);
}
