//! [`Value`]s from typed structs: the inverse of `de.rs`. Enum variants become calls named by the
//! variant (a unit variant a bare name), structs calls named by the type, `None` is left out of
//! its struct, so a value's canonical text covers exactly the fields a typed config holds.

use super::{ShapeError, Value};
use serde::ser::{self, Serialize};
use std::collections::BTreeMap;

impl ser::Error for ShapeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ShapeError(msg.to_string())
    }
}

/// `None` stands for "nothing": a `None` option or a skipped unit, left out of lists and structs.
type Out = Result<Option<Value>, ShapeError>;

pub(super) struct ValueSerializer;

fn call(name: &str, args: BTreeMap<String, Value>) -> Value {
    Value::Call { call: name.to_string(), args }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Option<Value>;
    type Error = ShapeError;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant = ser::Impossible<Option<Value>, ShapeError>;
    type SerializeMap = Fields;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Fields;

    fn serialize_bool(self, v: bool) -> Out {
        Ok(Some(Value::Bool(v)))
    }
    fn serialize_i8(self, v: i8) -> Out {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Out {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Out {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Out {
        Ok(Some(Value::Int(v)))
    }
    fn serialize_u8(self, v: u8) -> Out {
        self.serialize_i64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Out {
        self.serialize_i64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Out {
        self.serialize_i64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Out {
        i64::try_from(v).map(|v| Some(Value::Int(v))).map_err(|_| ShapeError(format!("{v} does not fit an int")))
    }
    fn serialize_f32(self, v: f32) -> Out {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Out {
        Ok(Some(Value::Float(v)))
    }
    fn serialize_char(self, v: char) -> Out {
        Ok(Some(Value::String(v.to_string())))
    }
    fn serialize_str(self, v: &str) -> Out {
        Ok(Some(Value::String(v.to_string())))
    }
    fn serialize_bytes(self, v: &[u8]) -> Out {
        Ok(Some(Value::List(v.iter().map(|&b| Value::Int(b.into())).collect())))
    }
    fn serialize_none(self) -> Out {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out {
        Ok(None)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Out {
        Ok(Some(Value::Name(name.to_string())))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out {
        Ok(Some(Value::Name(variant.to_string())))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Out {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Out {
        // `Variant(Struct { .. })` reads as the call `variant(..)`: the struct's fields are its
        // arguments (see `newtype_variant_seed` in de.rs).
        Ok(Some(match value.serialize(ValueSerializer)? {
            Some(Value::Call { args, .. }) => call(variant, args),
            None | Some(Value::Name(_)) => call(variant, BTreeMap::new()),
            Some(other) => call(variant, BTreeMap::from([("value".to_string(), other)])),
        }))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items, ShapeError> {
        Ok(Items(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Items, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ShapeError> {
        Err(ShapeError(format!("`{variant}`: positional variants are not typed values")))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Fields, ShapeError> {
        Ok(Fields { name: "map", args: BTreeMap::new(), key: None })
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Fields, ShapeError> {
        Ok(Fields { name, args: BTreeMap::new(), key: None })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Fields, ShapeError> {
        Ok(Fields { name: variant, args: BTreeMap::new(), key: None })
    }
}

pub(super) struct Items(Vec<Value>);

impl Items {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        // A list keeps its length: an absent element is written as an empty list.
        self.0.push(value.serialize(ValueSerializer)?.unwrap_or(Value::List(Vec::new())));
        Ok(())
    }
}

impl ser::SerializeSeq for Items {
    type Ok = Option<Value>;
    type Error = ShapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        self.push(value)
    }
    fn end(self) -> Out {
        Ok(Some(Value::List(self.0)))
    }
}

impl ser::SerializeTuple for Items {
    type Ok = Option<Value>;
    type Error = ShapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        self.push(value)
    }
    fn end(self) -> Out {
        Ok(Some(Value::List(self.0)))
    }
}

impl ser::SerializeTupleStruct for Items {
    type Ok = Option<Value>;
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        self.push(value)
    }
    fn end(self) -> Out {
        Ok(Some(Value::List(self.0)))
    }
}

pub(super) struct Fields {
    name: &'static str,
    args: BTreeMap<String, Value>,
    key: Option<String>,
}

impl Fields {
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), ShapeError> {
        if let Some(value) = value.serialize(ValueSerializer)? {
            self.args.insert(key.to_string(), value);
        }
        Ok(())
    }
    fn end(self) -> Out {
        Ok(Some(call(self.name, self.args)))
    }
}

impl ser::SerializeMap for Fields {
    type Ok = Option<Value>;
    type Error = ShapeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ShapeError> {
        self.key = match key.serialize(ValueSerializer)? {
            Some(Value::String(s) | Value::Name(s)) => Some(s),
            Some(other) => Some(other.canonical()),
            None => return Err(ShapeError("a map key that is nothing".into())),
        };
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        let key = self.key.take().ok_or_else(|| ShapeError("a map value without its key".into()))?;
        self.field(&key, value)
    }
    fn end(self) -> Out {
        Fields::end(self)
    }
}

impl ser::SerializeStruct for Fields {
    type Ok = Option<Value>;
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ShapeError> {
        self.field(key, value)
    }
    fn end(self) -> Out {
        Fields::end(self)
    }
}

impl ser::SerializeStructVariant for Fields {
    type Ok = Option<Value>;
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ShapeError> {
        self.field(key, value)
    }
    fn end(self) -> Out {
        Fields::end(self)
    }
}
