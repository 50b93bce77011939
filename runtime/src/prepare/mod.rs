//! The data stages of a run, after loading (mlp-data): derived features, the split into train,
//! validation and test, and the preprocessing fitted on the training rows. Nothing here trains.

pub mod fit;
pub mod split;
pub mod target;
pub mod tokens;
pub mod window;

// Derived features and their compiled expressions are the inference path's: a bundle derives
// its features with the same code.
pub use mlp_infer::{derive, expressions};

pub use fit::{Prepared, PreparedSplit, fit_transform};
pub use split::{SplitRows, split};
pub use target::Target;
