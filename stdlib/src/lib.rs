//! mlp-stdlib: the Rust implementations of the built-ins declared in `stdlib/*.mlp`, taking them
//! as the checker types them (`mlp_compiler::program`): metrics, baselines, splits, transforms,
//! augmentations, networks and their layers, losses and optimizers. [`registry`] records where
//! each declared built-in is implemented; the declarations stay the single source of truth for
//! signatures and docs.

pub mod augment;
pub mod linear;
pub mod loss;
pub mod matrix;
pub mod metrics;
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
