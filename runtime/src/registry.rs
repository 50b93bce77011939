//! The kinds of built-in mlp-runtime executes (see `mlp_stdlib::registry` for what an entry
//! means), and every entry of the workspace: this crate's, mlp-stdlib's, and the expression
//! functions of mlp-expr. tests/registry.rs checks that they cover every declaration in
//! stdlib/*.mlp exactly once.

use mlp_stdlib::implemented_by;
use mlp_stdlib::registry::{Entry, Implementation};

/// Deploy targets run from a bundle, outside the runtime; monitors watch a served model.
const SERVING: &str = "deploy targets run from a model bundle (batch and bundle targets in mlp-infer and the CLI, \
     http in mlp-serve), which the runtime does not link; monitors watch a served model";

const fn entry(declared: &'static str, implementation: Implementation) -> Entry {
    Entry { declared, implementation }
}

/// The kinds this crate executes, and those deferred.
pub const RUNTIME: &[Entry] = &[
    entry("format", implemented_by!(fn mlp_data::load)),
    entry("split", implemented_by!(fn crate::prepare::split)),
    entry("sampling", implemented_by!(fn crate::prepare::split)),
    entry("windowing", implemented_by!(fn crate::prepare::window::apply)),
    entry("tokenizer", implemented_by!(fn crate::prepare::tokens::apply)),
    entry("baseline", implemented_by!(fn crate::train::baseline::fit)),
    entry("loss", implemented_by!(fn crate::train::loss_of)),
    entry("stopping", implemented_by!(fn crate::train::early_stop::EarlyStop::of)),
    entry("device", implemented_by!(fn crate::train::device::DeviceRequest::of)),
    entry("precision", implemented_by!(fn crate::train::device::dtype)),
    entry("strategy", implemented_by!(fn crate::train::search::run)),
    entry("refinement", implemented_by!(fn crate::train::search::run)),
    entry("distribution", implemented_by!(fn crate::train::search::run)),
    entry("function", implemented_by!(fn mlp_expr::reference::evaluate)),
    entry("settings.pipeline", implemented_by!(fn mlp_compiler::plan::lower)),
    entry("settings.source", implemented_by!(fn mlp_data::load)),
    entry("settings.dataset", implemented_by!(fn crate::prepare::fit_transform)),
    entry("settings.model", implemented_by!(fn crate::train::train_network)),
    entry("settings.baseline", implemented_by!(fn crate::train::baseline::fit)),
    entry("settings.search", implemented_by!(fn crate::train::search::run)),
    entry("target", Implementation::Deferred(SERVING)),
    entry(
        "statistic",
        Implementation::Deferred(
            "computed by mlp-monitor (`mlp_monitor::drift::compare`), which the runtime does not link",
        ),
    ),
    entry(
        "action",
        Implementation::Deferred("run by mlp-serve's monitor (`serve/src/actions.rs`); `mlpc monitor` reports them"),
    ),
    entry("settings.deploy", Implementation::Deferred(SERVING)),
    entry(
        "settings.monitor",
        Implementation::Deferred("read by mlp-serve's monitor and `mlpc monitor`, which the runtime does not link"),
    ),
    entry(
        "auth",
        Implementation::Deferred("read by mlp-serve (`mlp_serve::Settings::of`), which the runtime does not link"),
    ),
];

/// Every entry of the workspace.
pub fn all() -> impl Iterator<Item = &'static Entry> {
    mlp_stdlib::registry::STDLIB.iter().chain(RUNTIME)
}
