//! The trainable network of a `model` definition (mlp_stdlib's [`Net`], built from the compiler's
//! [`mlp_compiler::program::NetworkSpec`]) and which prepared columns it reads.

use crate::error::{RunError, RunResult};
use crate::prepare::fit::Prepared;
use mlp_compiler::codes::Code;
use mlp_compiler::program::{InputKind, Model};

pub use mlp_infer::predict::{NetworkInput, forward_chunked};

/// The columns `model` reads of `prepared`'s matrix.
pub fn network_input(model: &Model, prepared: &Prepared) -> RunResult<NetworkInput> {
    let cols = prepared.splits[0].x.cols;
    let architecture = model.architecture.name();
    if model.input == InputKind::Tabular {
        return Ok(NetworkInput { columns: 0..cols, width: cols, shape: vec![cols] });
    }
    let Some(tensor) = &prepared.tensor else {
        return Err(RunError::new(
            Code::E0802,
            format!("`{architecture}` model `{}` needs an image or sequence column, and its data has none", model.name),
        )
        .with_help("declare the column in the source's `schema { }` block, e.g. `pixels: image(1, 8, 8)`")
        .for_definition(&model.name));
    };
    if tensor.shape != model.network.input {
        return Err(RunError::new(
            Code::E0802,
            format!(
                "model `{}` was checked for input {:?}, but column `{}` holds {:?}",
                model.name, model.network.input, tensor.column, tensor.shape
            ),
        )
        .for_definition(&model.name));
    }
    Ok(NetworkInput {
        columns: tensor.offset..tensor.offset + tensor.width,
        width: tensor.width,
        shape: tensor.shape.clone(),
    })
}
