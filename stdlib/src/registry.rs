//! Where each kind of built-in declared in stdlib/*.mlp is executed. Every declaration becomes a
//! variant of its kind's typed enum in `mlp_compiler::program` (compiler/tests/stdlib.rs holds
//! the two together), and each entry here names, as a path the compiler resolves, the function or
//! type that takes that enum: its `match` is exhaustive, so a new declaration does not compile
//! until it is implemented. A kind not executed yet is deferred with the reason. This table holds
//! the kinds mlp-stdlib implements; mlp-runtime's `registry` holds the rest, and a runtime test
//! checks that together they cover every declaration once.

/// How the declarations of one kind are executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Implementation {
    /// The function or type every declaration of the kind is dispatched through.
    By(&'static str),
    /// Accepted by the checker, not executed yet, and why.
    Deferred(&'static str),
}

/// One kind of declaration and its implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The declaration kind (`metric`, `layer`, ...), or `settings.<block>` for an
    /// `extern settings` block.
    pub declared: &'static str,
    pub implementation: Implementation,
}

/// `Implementation::By` a function (`fn path`) or a type (`type path`) that must exist: the path
/// is resolved by the compiler, and written into the entry as text.
#[macro_export]
macro_rules! implemented_by {
    (fn $path:path) => {
        $crate::registry::Implementation::By({
            let _ = $path;
            stringify!($path)
        })
    };
    (type $path:path) => {
        $crate::registry::Implementation::By({
            let _ = ::std::marker::PhantomData::<$path>;
            stringify!($path)
        })
    };
}

const fn entry(declared: &'static str, implementation: Implementation) -> Entry {
    Entry { declared, implementation }
}

/// The kinds mlp-stdlib executes.
pub const STDLIB: &[Entry] = &[
    entry("metric", implemented_by!(fn crate::metrics::compute)),
    entry("normalizer", implemented_by!(fn crate::transform::Scaler::fit)),
    entry("encoding", implemented_by!(type crate::transform::Encoder)),
    entry("missing", implemented_by!(fn crate::transform::fit_fill)),
    entry("augmentation", implemented_by!(fn crate::augment::augment)),
    entry("model", implemented_by!(fn crate::network::Net::new)),
    entry("layer", implemented_by!(fn crate::network::Net::new)),
    entry("activation", implemented_by!(fn crate::network::activation::activate)),
    entry("init", implemented_by!(fn crate::network::init::sample)),
    entry("optimizer", implemented_by!(fn crate::optim::Optimizer::new)),
];
