//! Saved tensors of the retired `mlp` naming, renamed to the one naming every network uses now.
//!
//! The `mlp` model used to be its own network, which named its tensors `hidden.{k}.weight` and
//! `hidden.{k}.bias` for the k-th dense layer, `norm.{k}.gamma`, `norm.{k}.beta`,
//! `norm.{k}.running_mean` and `norm.{k}.running_var` for the k-th batch norm, and
//! `head.weight` and `head.bias`. It is a layer list like the others now ([`NetworkSpec::of`]
//! expands it), so a dense layer at position `i` of the list is `layers.{i}.weight`; weights saved
//! under the old names load after [`migrate_mlp_tensors`].

use candle_core::Tensor;
use mlp_compiler::program::{Layer, NetworkSpec};

/// `saved` with every old `mlp` name replaced by its name in the network `spec` describes. Names
/// of the current scheme, and old names with no counterpart in `spec` (which loading then
/// reports as missing), are left as they are.
pub fn migrate_mlp_tensors(spec: &NetworkSpec, saved: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    let positions = |wanted: fn(&Layer) -> bool| -> Vec<usize> {
        spec.layers.iter().enumerate().filter(|(_, l)| wanted(&l.layer)).map(|(i, _)| i).collect()
    };
    let dense = positions(|l| matches!(l, Layer::Dense { .. }));
    let norms = positions(|l| matches!(l, Layer::Batchnorm));
    saved.into_iter().map(|(name, tensor)| (renamed(&name, &dense, &norms).unwrap_or(name), tensor)).collect()
}

/// `hidden.{k}.{rest}` as `layers.{dense[k]}.{rest}`, `norm.{k}.{rest}` as `layers.{norms[k]}.{rest}`.
fn renamed(name: &str, dense: &[usize], norms: &[usize]) -> Option<String> {
    let (group, rest) = name.split_once('.')?;
    let positions = match group {
        "hidden" => dense,
        "norm" => norms,
        _ => return None,
    };
    let (k, field) = rest.split_once('.')?;
    let index = positions.get(k.parse::<usize>().ok()?)?;
    Some(format!("layers.{index}.{field}"))
}
