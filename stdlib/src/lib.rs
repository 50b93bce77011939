//! mlp-stdlib: the Rust implementations of the built-ins declared in `stdlib/*.mlp`, registered
//! under the same names (see [`registry`]): metrics, baselines, splits, transforms, layers, losses
//! and optimizers. The declarations stay the single source of truth for signatures and docs.

pub mod augment;
pub mod linear;
pub mod loss;
pub mod matrix;
pub mod metrics;
pub mod mlp;
pub mod network;
pub mod optim;
pub mod outcome;
pub mod registry;
pub mod rng;
pub mod split;
pub mod tokenize;
pub mod transform;
pub mod window;

pub use matrix::Matrix;
pub use outcome::Outcome;
