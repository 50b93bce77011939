//! The shape serde sees in a typed struct or enum: its variant names and each variant's (or the
//! struct's) field names. Tests hold the typed program to the declarations in stdlib/*.mlp with
//! it: every declared built-in of a kind is a variant of the kind's enum with the declared
//! parameters as its fields, and nothing else is.

use serde::de::{self, DeserializeOwned, Visitor};
use std::collections::BTreeMap;

/// Variant names (empty for a struct) and the field names of each variant (of the struct, under
/// the key ``).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeShape {
    pub variants: Vec<&'static str>,
    pub fields: BTreeMap<&'static str, Vec<&'static str>>,
}

/// The shape of `T`, found by letting its `Deserialize` implementation ask for what it expects.
pub fn shape_of<T: DeserializeOwned>() -> TypeShape {
    let mut shape = TypeShape::default();
    let mut probe = Probe { variant: None, found: &mut shape };
    let _ = T::deserialize(&mut probe);
    for variant in shape.variants.clone() {
        let mut found = TypeShape::default();
        let _ = T::deserialize(&mut Probe { variant: Some(variant), found: &mut found });
        shape.fields.insert(variant, found.fields.remove("").unwrap_or_default());
    }
    shape
}

/// Answers just enough of a deserialization to learn what the type asks for, then stops.
struct Probe<'s> {
    /// The variant to enter, on the second pass over an enum.
    variant: Option<&'static str>,
    found: &'s mut TypeShape,
}

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for &mut Probe<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.found.fields.insert("", fields.to_vec());
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        match self.variant {
            None => {
                self.found.variants = variants.to_vec();
                Err(Stop)
            }
            Some(variant) => visitor.visit_enum(Enter { variant, found: self.found }),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct Enter<'s> {
    variant: &'static str,
    found: &'s mut TypeShape,
}

impl<'de> de::EnumAccess<'de> for Enter<'_> {
    type Error = Stop;
    type Variant = Self;

    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Stop> {
        let name = seed.deserialize(de::value::StrDeserializer::<Stop>::new(self.variant))?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enter<'_> {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        self.found.fields.insert("", Vec::new());
        Ok(())
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, Stop> {
        Err(Stop)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], _: V) -> Result<V::Value, Stop> {
        self.found.fields.insert("", fields.to_vec());
        Err(Stop)
    }
}
