//! Predictions as a Parquet file (`mlpc predict --format parquet`): the id column (text), then
//! `class` (text) and one float64 column `p_<class>` per class, or `value` — one row group per
//! chunk of rows, so memory stays bounded by the chunk.

use crate::batch::RowSink;
use crate::bundle::{Bundle, Predictions};
use crate::predict::Prediction;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use std::io::Write;
use std::sync::Arc;

pub struct ParquetSink<W: Write + Send> {
    writer: Option<ArrowWriter<W>>,
    schema: Arc<Schema>,
}

fn io_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<W: Write + Send> ParquetSink<W> {
    pub fn new(out: W, bundle: &Bundle, id_column: &str) -> std::io::Result<ParquetSink<W>> {
        let manifest = bundle.manifest();
        let mut fields = vec![Field::new(id_column, DataType::Utf8, false)];
        if manifest.classes.is_empty() {
            fields.push(Field::new("value", DataType::Float64, false));
        } else {
            fields.push(Field::new("class", DataType::Utf8, false));
            fields.extend(manifest.classes.iter().map(|c| Field::new(format!("p_{c}"), DataType::Float64, false)));
        }
        let schema = Arc::new(Schema::new(fields));
        let writer = ArrowWriter::try_new(out, schema.clone(), None).map_err(io_error)?;
        Ok(ParquetSink { writer: Some(writer), schema })
    }
}

impl<W: Write + Send> RowSink for ParquetSink<W> {
    fn rows(&mut self, predictions: &Predictions, ids: &[&str]) -> std::io::Result<()> {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(ids.iter().copied()))];
        match &predictions.prediction {
            Prediction::Values(v) => columns.push(Arc::new(Float64Array::from(v.clone()))),
            Prediction::Classes(m) => {
                columns.push(Arc::new(StringArray::from_iter_values(
                    (0..m.rows).map(|i| predictions.class_of(i).unwrap_or("")),
                )));
                for c in 0..m.cols {
                    columns.push(Arc::new(Float64Array::from_iter_values((0..m.rows).map(|i| m.get(i, c)))));
                }
            }
        }
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(io_error)?;
        match &mut self.writer {
            Some(writer) => writer.write(&batch).map_err(io_error),
            None => Err(io_error("the Parquet file is already complete")),
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        match self.writer.take() {
            Some(writer) => writer.close().map(|_| ()).map_err(io_error),
            None => Ok(()),
        }
    }
}
