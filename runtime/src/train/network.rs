//! The trainable network of a `model` definition (mlp_stdlib's [`Net`], built from the compiler's
//! [`mlp_compiler::program::NetworkSpec`]) and which prepared columns it reads.

use crate::error::{RunError, RunResult};
use crate::prepare::fit::Prepared;
use mlp_compiler::codes::Code;
use mlp_compiler::program::{InputKind, Model};

use candle_core::Tensor;
pub use mlp_infer::predict::NetworkInput;
use mlp_stdlib::network::Net;

/// Rows per evaluation forward pass.
const PREDICTION_CHUNK: usize = 4096;

/// Validation's evaluation pass during training over many rows, `PREDICTION_CHUNK` at a time: bounds the activations a CNN
/// holds at once.
pub fn forward_chunked(net: &Net, x: &Tensor) -> candle_core::Result<Tensor> {
    let rows = x.dim(0)?;
    let mut parts = Vec::with_capacity(rows.div_ceil(PREDICTION_CHUNK));
    for start in (0..rows).step_by(PREDICTION_CHUNK) {
        parts.push(net.forward(&x.narrow(0, start, (rows - start).min(PREDICTION_CHUNK))?)?);
    }
    if parts.len() == 1 { Ok(parts.remove(0)) } else { Tensor::cat(&parts, 0) }
}

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
