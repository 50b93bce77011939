//! Raw rows into a typed [`Table`] the bundle can predict: JSON objects (a request body) checked
//! field by field against the bundle's input columns, reporting every field error rather than the
//! first; and [`FieldError`], one problem with one row (and column) of the input, with a code.
//!
//! JSON values map to the loader's column types: a number for `float` (`null` or an absent field
//! is missing), an integer for `int`, `true`/`false` for `bool`, a string (or a number, read as
//! its text) for `category` and `text`, and an array of numbers (nested arrays are read
//! row-major) — or the fields `name_0` … `name_{n-1}`, as a CSV file holds them — for an image or
//! sequence column.

use crate::manifest::InputColumn;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use mlp_compiler::codes::Code;
use mlp_compiler::types::ColumnType;
use mlp_data::{RunError, Table, tensor_array};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;

/// One problem with one row of the input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldError {
    /// 0-based index of the row in the input (for a file: its data rows, header excluded);
    /// `None` for a problem with the input as a whole (a CSV header without a needed column).
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(serialize_with = "code_text")]
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

fn code_text<S: serde::Serializer>(code: &Code, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(code)
}

impl FieldError {
    pub fn new(row: usize, column: Option<&str>, code: Code, message: impl Into<String>) -> FieldError {
        FieldError { row: Some(row), column: column.map(str::to_string), code, message: message.into(), help: None }
    }

    /// A run error about row `row`, or about the whole input (its code, message, column and help).
    pub fn from_run_error(row: Option<usize>, error: &RunError) -> FieldError {
        FieldError {
            row,
            column: error.location.as_ref().and_then(|l| l.column.clone()),
            code: error.code,
            message: error.message.clone(),
            help: error.help.clone(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error[{}]: ", self.code)?;
        match self.row {
            Some(row) => write!(f, "row {row}")?,
            None => write!(f, "the input")?,
        }
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Builds a table from JSON objects, one per row, typed by `inputs`. Fields named in `ignored`
/// (the label) are allowed and skipped; any other unknown field is an error, so a misspelt
/// column is never silently treated as missing.
pub fn from_json<R: std::borrow::Borrow<Value>>(
    rows: &[R],
    inputs: &[InputColumn],
    ignored: &[&str],
) -> Result<Table, Vec<FieldError>> {
    let mut errors = Vec::new();
    let names: std::collections::HashSet<&str> = inputs.iter().map(|c| c.name.as_str()).collect();
    let has_tensors = inputs.iter().any(|c| c.ty.tensor_width().is_some());
    let mut objects: Vec<&Map<String, Value>> = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        match row.borrow() {
            Value::Object(map) => {
                for key in map.keys() {
                    let known = names.contains(key.as_str()) || (has_tensors && is_known(key, inputs));
                    if !known && !ignored.contains(&key.as_str()) {
                        let mut error = FieldError::new(
                            r,
                            Some(key),
                            Code::E0833,
                            format!("`{key}` is not an input column of this model"),
                        );
                        error.help = Some(expected_columns(inputs));
                        errors.push(error);
                    }
                }
                objects.push(map);
            }
            other => errors.push(FieldError::new(
                r,
                None,
                Code::E0832,
                format!("a row must be a JSON object of columns, not {}", kind(other)),
            )),
        }
    }
    if objects.len() != rows.len() {
        return Err(errors);
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(inputs.len());
    for input in inputs {
        match column(&objects, input, &mut errors) {
            Some(array) => columns.push(array),
            None => columns.push(Arc::new(Float64Array::from(vec![None::<f64>; objects.len()]))),
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
        return Err(errors);
    }
    Ok(Table {
        names: inputs.iter().map(|c| c.name.clone()).collect(),
        columns,
        rows: objects.len(),
        files: Vec::new(),
        layout: mlp_data::Layout::Binary,
    })
}

fn is_known(key: &str, inputs: &[InputColumn]) -> bool {
    inputs.iter().any(|c| {
        c.name == key
            || (c.ty.tensor_width().is_some()
                && key
                    .strip_prefix(c.name.as_str())
                    .and_then(|rest| rest.strip_prefix('_'))
                    .is_some_and(|i| i.parse::<usize>().is_ok_and(|i| Some(i) < c.ty.tensor_width())))
    })
}

fn expected_columns(inputs: &[InputColumn]) -> String {
    let names: Vec<String> = inputs.iter().take(8).map(|c| format!("`{}`", c.name)).collect();
    let more = if inputs.len() > 8 { format!(" and {} more", inputs.len() - 8) } else { String::new() };
    format!("the model reads {}{more} (see GET /metadata or the bundle's manifest.json)", names.join(", "))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One column's values from every row, or `None` after recording its errors.
fn column(rows: &[&Map<String, Value>], input: &InputColumn, errors: &mut Vec<FieldError>) -> Option<ArrayRef> {
    let name = input.name.as_str();
    let before = errors.len();
    let wrong = |errors: &mut Vec<FieldError>, r: usize, want: &str, got: &Value| {
        errors.push(FieldError::new(r, Some(name), Code::E0832, format!("`{name}` must be {want}, not {}", kind(got))));
    };
    let absent = |r: usize, errors: &mut Vec<FieldError>| {
        if !input.optional {
            errors.push(
                FieldError::new(r, Some(name), Code::E0834, format!("the row has no `{name}`, which the model needs"))
                    .with_help_text(
                        "send the field; the training data had no missing values here, so nothing fills it",
                    ),
            );
        }
    };
    let array: ArrayRef = match &input.ty {
        ColumnType::Float => Arc::new(Float64Array::from(scalars(rows, name, errors, "a number", |v| v.as_f64()))),
        ColumnType::Int => Arc::new(Int64Array::from(scalars(rows, name, errors, "an integer", Value::as_i64))),
        ColumnType::Bool => {
            Arc::new(BooleanArray::from(scalars(rows, name, errors, "`true` or `false`", Value::as_bool)))
        }
        ColumnType::Category { .. } | ColumnType::Text => {
            let category = matches!(input.ty, ColumnType::Category { .. });
            Arc::new(StringArray::from(scalars(rows, name, errors, "a string", |v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) if category => Some(b.to_string()),
                _ => None,
            })))
        }
        ColumnType::Image { .. } | ColumnType::Sequence { .. } => {
            let width = input.ty.tensor_width().unwrap_or(0);
            let mut values = vec![0f32; rows.len() * width];
            for (r, row) in rows.iter().enumerate() {
                let out = &mut values[r * width..(r + 1) * width];
                match row.get(name) {
                    Some(Value::Array(items)) => {
                        let mut flat = Vec::with_capacity(width);
                        if !flatten(items, &mut flat, 0) {
                            errors.push(FieldError::new(
                                r,
                                Some(name),
                                Code::E0832,
                                format!("`{name}` must be an array of {width} numbers, and holds something else"),
                            ));
                        } else if flat.len() != width {
                            errors.push(FieldError::new(
                                r,
                                Some(name),
                                Code::E0832,
                                format!("`{name}` must hold {width} numbers, not {}", flat.len()),
                            ));
                        } else {
                            out.copy_from_slice(&flat);
                        }
                    }
                    Some(other) if !other.is_null() => wrong(errors, r, &format!("an array of {width} numbers"), other),
                    _ => {
                        // The CSV layout: `name_0` … `name_{width-1}`.
                        let mut found = 0;
                        for (i, o) in out.iter_mut().enumerate() {
                            match row.get(&format!("{name}_{i}")) {
                                Some(Value::Number(n)) => {
                                    *o = n.as_f64().unwrap_or(f64::NAN) as f32;
                                    found += 1;
                                }
                                Some(other) => wrong(errors, r, "a number", other),
                                None => {}
                            }
                        }
                        if found == 0 {
                            // An image or sequence is never filled.
                            errors.push(FieldError::new(
                                r,
                                Some(name),
                                Code::E0834,
                                format!("the row has no `{name}`, which the model needs"),
                            ));
                        } else if found < width {
                            errors.push(FieldError::new(
                                r,
                                Some(name),
                                Code::E0834,
                                format!("the row has {found} of the {width} numbers of `{name}`"),
                            ));
                        }
                    }
                }
            }
            match tensor_array(width, values) {
                Ok(array) => array,
                Err(e) => {
                    errors.push(FieldError::new(0, Some(name), Code::E0832, format!("`{name}` cannot be stored: {e}")));
                    return None;
                }
            }
        }
    };
    // A required scalar column: an absent or null field has nothing to fill it.
    if input.ty.tensor_width().is_none() && !input.optional {
        for (r, row) in rows.iter().enumerate() {
            if matches!(row.get(name), None | Some(Value::Null)) {
                absent(r, errors);
            }
        }
    }
    (errors.len() == before).then_some(array)
}

/// One scalar column's values: an absent or null field is missing, a value `read` takes is kept,
/// any other value is an E0832 that says what the column wants (`want`).
fn scalars<T>(
    rows: &[&Map<String, Value>],
    name: &str,
    errors: &mut Vec<FieldError>,
    want: &str,
    read: impl Fn(&Value) -> Option<T>,
) -> Vec<Option<T>> {
    let mut values = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        values.push(match row.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => {
                let read = read(value);
                if read.is_none() {
                    errors.push(FieldError::new(
                        r,
                        Some(name),
                        Code::E0832,
                        format!("`{name}` must be {want}, not {}", kind(value)),
                    ));
                }
                read
            }
        });
    }
    values
}

/// Appends the numbers of a (nested) JSON array; `false` when something is not a number or the
/// nesting is deeper than any image (4 levels).
fn flatten(items: &[Value], out: &mut Vec<f32>, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    for item in items {
        match item {
            Value::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN) as f32),
            Value::Array(inner) => {
                if !flatten(inner, out, depth + 1) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

impl FieldError {
    fn with_help_text(mut self, help: &str) -> FieldError {
        self.help = Some(help.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;
    use serde_json::json;

    fn inputs() -> Vec<InputColumn> {
        vec![
            InputColumn { name: "age".into(), ty: ColumnType::Float, optional: true },
            InputColumn { name: "rooms".into(), ty: ColumnType::Int, optional: false },
            InputColumn { name: "city".into(), ty: ColumnType::Category { levels: vec!["a".into()] }, optional: false },
            InputColumn {
                name: "px".into(),
                ty: ColumnType::Image { channels: 1, height: 2, width: 2 },
                optional: false,
            },
        ]
    }

    #[test]
    fn good_rows_become_typed_columns_in_either_image_layout() {
        let rows = [
            json!({"age": 3.5, "rooms": 2, "city": "a", "px": [[1, 2], [3, 4]], "label": "x"}),
            json!({"rooms": 3, "city": 7, "px_0": 1, "px_1": 2, "px_2": 3, "px_3": 4}),
        ];
        let table = from_json(&rows, &inputs(), &["label"]).expect("valid rows");
        assert_eq!(table.rows, 2);
        assert_eq!(table.names, ["age", "rooms", "city", "px"]);
        let age = table.columns[0].as_any().downcast_ref::<Float64Array>().unwrap();
        assert!(age.is_valid(0) && age.is_null(1), "an absent optional number is missing");
        let city = table.columns[2].as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(city.value(1), "7");
    }

    #[test]
    fn every_field_error_of_every_row_is_reported() {
        let rows = [
            json!({"age": "old", "rooms": 2.5, "city": "a", "px": [1, 2, 3], "colour": 1}),
            json!(["not", "an", "object"]),
        ];
        let errors = from_json(&rows, &inputs(), &[]).unwrap_err();
        let codes: Vec<(Option<usize>, Option<&str>, Code)> =
            errors.iter().map(|e| (e.row, e.column.as_deref(), e.code)).collect();
        assert!(codes.contains(&(Some(0), Some("colour"), Code::E0833)), "{codes:?}");
        assert!(codes.contains(&(Some(1), None, Code::E0832)), "{codes:?}");
        let rows = [json!({"age": "old", "rooms": 2.5, "city": "a", "px": [1, 2, 3]}), json!({})];
        let errors = from_json(&rows, &inputs(), &[]).unwrap_err();
        let codes: Vec<(Option<usize>, Option<&str>, Code)> =
            errors.iter().map(|e| (e.row, e.column.as_deref(), e.code)).collect();
        for expected in [
            (Some(0), Some("age"), Code::E0832),
            (Some(0), Some("rooms"), Code::E0832),
            (Some(0), Some("px"), Code::E0832),
            (Some(1), Some("rooms"), Code::E0834),
            (Some(1), Some("city"), Code::E0834),
            (Some(1), Some("px"), Code::E0834),
        ] {
            assert!(codes.contains(&expected), "{expected:?} in {codes:?}");
        }
        assert!(!codes.iter().any(|c| c.1 == Some("age") && c.0 == Some(1)), "an optional column may be absent");
    }
}
