//! What a `/predict` request may be: its content type (JSON or CSV), its body read up to
//! `max_body` bytes, and its rows parsed and counted against `max_rows` — each refusal an
//! [`Refusal`] the app turns into a reply (415, 413, 400).

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;

/// A request refused before it reached the model.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal { status, message: message.into() }
    }
}

/// The body formats `/predict` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Json,
    Csv,
}

/// The kind of body the `Content-Type` header announces (parameters such as `charset` aside).
pub fn kind(headers: &HeaderMap) -> Result<Kind, Refusal> {
    let unsupported = |what: &str| {
        Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "{what}: send `Content-Type: application/json` (an object or an array of objects) or `text/csv` (a header and rows)"
            ),
        )
    };
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported("no content type"));
    };
    let Ok(text) = value.to_str() else {
        return Err(unsupported("an unreadable content type"));
    };
    let media = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match media.as_str() {
        "application/json" => Ok(Kind::Json),
        "text/csv" | "application/csv" => Ok(Kind::Csv),
        _ if media.ends_with("+json") => Ok(Kind::Json),
        _ => Err(unsupported(&format!("content type `{}`", text.chars().take(100).collect::<String>()))),
    }
}

/// The whole body, refused with 413 as soon as it passes `max_body` bytes (at once when its
/// `Content-Length` says it will).
pub async fn read_body(headers: &HeaderMap, body: Body, max_body: usize) -> Result<Vec<u8>, Refusal> {
    let too_large =
        || Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is over the limit of {max_body} bytes"));
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return Err(too_large());
    }
    match Limited::new(body, max_body).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) if is_length_limit(e.as_ref()) => Err(too_large()),
        Err(e) => Err(Refusal::new(StatusCode::BAD_REQUEST, format!("the body could not be read: {e}"))),
    }
}

/// Whether a length limit lies anywhere in the error's chain (axum wraps the body's errors).
fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<LengthLimitError>().is_some() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The rows of a JSON body: one object, or an array of objects.
pub fn json_rows(body: &[u8], max_rows: usize) -> Result<Vec<Value>, Refusal> {
    let bad = |message: String| Refusal::new(StatusCode::BAD_REQUEST, message);
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(format!("the body is not valid JSON: {e}")))?;
    let rows = match value {
        Value::Object(_) => vec![value],
        Value::Array(rows) => rows,
        other => {
            return Err(bad(format!(
                "the body is a JSON {}: send an object (one row) or an array of objects",
                type_name(&other)
            )));
        }
    };
    if rows.is_empty() {
        return Err(bad("the array holds no rows: send at least one object".into()));
    }
    if rows.len() > max_rows {
        return Err(too_many(rows.len(), max_rows));
    }
    if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| !r.is_object()) {
        return Err(bad(format!("row {i} is a JSON {}: each row is an object of column values", type_name(row))));
    }
    Ok(rows)
}

/// Checks a CSV body before the model parses it: UTF-8, a header and at least one row, and no more
/// than `max_rows` rows (records counted outside quotes).
pub fn csv_rows(body: &[u8], max_rows: usize) -> Result<usize, Refusal> {
    let bad = |message: &str| Refusal::new(StatusCode::BAD_REQUEST, message.to_string());
    if std::str::from_utf8(body).is_err() {
        return Err(bad("the CSV body is not UTF-8 text"));
    }
    let records = count_records(body);
    if records == 0 {
        return Err(bad("the CSV body is empty: send a header line and at least one row"));
    }
    let rows = records - 1;
    if rows == 0 {
        return Err(bad("the CSV body holds a header and no rows"));
    }
    if rows > max_rows {
        return Err(too_many(rows, max_rows));
    }
    Ok(rows)
}

/// Non-blank records of a CSV text: line ends outside double quotes end a record.
fn count_records(body: &[u8]) -> usize {
    let mut records = 0;
    let mut quoted = false;
    let mut blank = true;
    for &byte in body {
        match byte {
            b'"' => {
                quoted = !quoted;
                blank = false;
            }
            b'\n' if !quoted => {
                if !blank {
                    records += 1;
                }
                blank = true;
            }
            b'\r' | b' ' | b'\t' => {}
            _ => blank = false,
        }
    }
    records + usize::from(!blank)
}

fn too_many(rows: usize, max_rows: usize) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("{rows} rows are over the limit of {max_rows} per request: split them into several requests"),
    )
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The records of a CSV body as JSON objects of text cells (a missing cell is absent), for the
/// monitor's window, read by the loader's own CSV reader; a body it cannot read gives no rows
/// (the prediction has refused it already).
pub fn csv_objects(body: &[u8]) -> Vec<serde_json::Value> {
    let Ok(sample) = mlp_data::csv_cells(body, b',') else { return Vec::new() };
    sample
        .rows
        .into_iter()
        .map(|cells| {
            let fields = sample
                .columns
                .iter()
                .zip(cells)
                .filter_map(|(name, cell)| Some((name.clone(), serde_json::Value::String(cell?))))
                .collect();
            serde_json::Value::Object(fields)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_counted_outside_quotes() {
        assert_eq!(count_records(b""), 0);
        assert_eq!(count_records(b"\n\n"), 0);
        assert_eq!(count_records(b"a,b\n1,2\n"), 2);
        assert_eq!(count_records(b"a,b\r\n1,2\r\n3,4"), 3);
        assert_eq!(count_records(b"a,b\n\"x\ny\",2\n\n"), 2);
    }

    #[test]
    fn json_bodies() {
        assert_eq!(json_rows(br#"{"a": 1}"#, 10).map(|r| r.len()), Ok(1));
        assert_eq!(json_rows(br#"[{"a": 1}, {"a": 2}]"#, 10).map(|r| r.len()), Ok(2));
        assert_eq!(json_rows(br#"[{"a": 1}, {"a": 2}]"#, 1).unwrap_err().status, StatusCode::PAYLOAD_TOO_LARGE);
        for bad in [&b"[]"[..], b"3", b"\"x\"", b"null", b"[1]", b"[{}, []]", b"{", b"", b"{\"a\": NaN}"] {
            assert_eq!(
                json_rows(bad, 10).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(json_rows(deep.as_bytes(), 10).unwrap_err().status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn content_types() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            kind(&headers)
        };
        assert_eq!(with("application/json"), Ok(Kind::Json));
        assert_eq!(with("Application/JSON; charset=utf-8"), Ok(Kind::Json));
        assert_eq!(with("text/csv; header=present"), Ok(Kind::Csv));
        assert_eq!(with("text/plain").unwrap_err().status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(kind(&HeaderMap::new()).unwrap_err().status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn csv_bodies_become_rows_as_the_loader_reads_them() {
        let body = b"x,name\r\n1.5,\"a, b\"\n\n2,NA\n";
        let rows = csv_objects(body);
        assert_eq!(rows, vec![serde_json::json!({"x": "1.5", "name": "a, b"}), serde_json::json!({"x": "2"})]);
        assert!(csv_objects(b"").is_empty());
    }
}
