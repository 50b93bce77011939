//! [`Value`]: what a setting or a built-in's argument resolved to, as the checker sees it while it
//! checks values against the declarations in stdlib/*.mlp. Once a definition is checked, its
//! values become the typed structs of [`crate::program`] through serde ([`Value::to_typed`]);
//! typed configuration turns back into a `Value` ([`Value::from_typed`]) for plan fingerprints,
//! graph labels and search overrides, so no layer below the checker reads a setting by string.

mod de;
mod ser;
mod shape;

pub use shape::{TypeShape, shape_of};

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A configuration value with defaults applied: what a setting or argument resolved to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    String(String),
    /// An identifier: a column, a definition or a level.
    Name(String),
    List(Vec<Value>),
    /// A built-in with every parameter resolved, e.g. `adam(lr: 0.0003, ...)`; also a typed
    /// struct turned into a value (its type's name and its fields).
    Call {
        call: String,
        args: BTreeMap<String, Value>,
    },
    /// An expression kept as canonical source text (rules, bounds).
    Expr(String),
}

/// Settings by name, defaults included: a block's values while the checker works on them.
pub type Config = BTreeMap<String, Value>;

/// A value that does not have the shape a typed struct expects (a checker or declaration bug when
/// it reaches a user; tests keep the declarations and the structs in agreement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShapeError {}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Name(s) | Value::Expr(s) => Some(s),
            Value::Call { call, .. } => Some(call),
            _ => None,
        }
    }

    /// The built-in's name and its arguments, for call values.
    pub fn as_call(&self) -> Option<(&str, &BTreeMap<String, Value>)> {
        match self {
            Value::Call { call, args } => Some((call, args)),
            _ => None,
        }
    }

    /// A deterministic text form, used for fingerprints and graph labels.
    pub fn canonical(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::Bool(b) => b.to_string(),
            Value::String(s) => format!("{s:?}"),
            Value::Name(n) | Value::Expr(n) => n.clone(),
            Value::List(items) => format!("[{}]", items.iter().map(Value::canonical).collect::<Vec<_>>().join(", ")),
            Value::Call { call, args } => {
                let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}: {}", v.canonical())).collect();
                format!("{call}({})", args.join(", "))
            }
        }
    }

    /// The typed form of this value: a built-in call becomes the enum variant of its name with
    /// its arguments as fields, a settings map the struct of its block.
    pub fn to_typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, ShapeError> {
        T::deserialize(de::ValueDeserializer(self))
    }

    /// A typed configuration as a value: enum variants become calls, structs calls of their
    /// type's name, `None` fields are left out.
    pub fn from_typed<T: Serialize + ?Sized>(typed: &T) -> Result<Value, ShapeError> {
        typed.serialize(ser::ValueSerializer)?.ok_or_else(|| ShapeError("nothing to turn into a value".into()))
    }

    /// A typed settings struct as the map of its values (`None` fields left out), for checks
    /// that combine a block's settings with its parent's.
    pub fn config_of<T: Serialize + ?Sized>(typed: &T) -> Result<Config, ShapeError> {
        match Value::from_typed(typed)? {
            Value::Call { args, .. } => Ok(args),
            other => Err(ShapeError(format!("settings are a struct, found `{}`", other.canonical()))),
        }
    }

    /// A settings map as the struct of its block.
    pub fn config_to_typed<T: serde::de::DeserializeOwned>(config: &Config) -> Result<T, ShapeError> {
        Value::Call { call: "settings".into(), args: config.clone() }.to_typed()
    }
}

/// Values deserialize from anything a typed struct serializes to; search candidates
/// (`choice(...)` values) are kept as values and applied to typed settings later.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(de::ValueVisitor)
    }
}

#[cfg(test)]
mod tests;
