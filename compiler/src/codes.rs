//! The diagnostic codes: a stable code, a short title, and the long explanation that
//! `mlpc explain CODE` prints, embedded from `docs/errors/CODE.md`. Codes are never reused.

/// One diagnostic code.
#[derive(Debug)]
pub struct Code {
    pub code: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
}

macro_rules! codes {
    ($($code:literal => $title:literal,)*) => {
        /// Every code, in order.
        pub const CODES: &[Code] = &[
            $(Code { code: $code, title: $title, explanation: include_str!(concat!("../../docs/errors/", $code, ".md")) },)*
        ];
    };
}

codes! {
    "E0001" => "syntax error",
    "E0002" => "nesting too deep",
    "E0003" => "chained comparison",
    "E0010" => "imported file cannot be read",
    "E0011" => "import cycle",
    "E0101" => "duplicate definition",
    "E0102" => "unknown name",
    "E0103" => "unknown built-in",
    "E0104" => "wrong kind of definition",
    "E0105" => "definition cycle",
    "E0201" => "unknown setting",
    "E0202" => "wrong type",
    "E0203" => "missing value",
    "E0204" => "unknown or extra argument",
    "E0205" => "given twice",
    "E0206" => "value out of range",
    "E0207" => "not allowed here",
    "E0301" => "unknown column",
    "E0302" => "data file not found",
    "E0303" => "no label",
    "E0304" => "invalid positive class",
    "E0305" => "split fractions do not sum to 1",
    "E0306" => "preprocessing applied twice",
    "E0307" => "column unfit for its use",
    "E0308" => "schema cannot be inferred",
    "E0309" => "invalid column type",
    "E0310" => "image or sequence column missing from the data",
    "E0311" => "IDX file unfit",
    "E0312" => "image folder unfit",
    "E0313" => "schema block on a file-defined source",
    "E0314" => "invalid image channels",
    "E0315" => "augmentation without an image column",
    "E0316" => "window longer than the data",
    "E0317" => "window over non-numeric columns",
    "E0318" => "tokenizer without a text column",
    "E0319" => "split unfit for windows",
    "E0401" => "type mismatch",
    "E0402" => "unknown category level",
    "E0403" => "metric does not fit the task",
    "E0404" => "loss does not fit the task",
    "E0405" => "shape mismatch",
    "E0406" => "model input does not fit the data",
    "E0407" => "objective direction contradicts the metric",
    "E0408" => "missing or duplicate objective",
    "E0409" => "baseline does not fit the task",
    "E0501" => "search over an unknown parameter",
    "E0502" => "invalid search range",
    "E0601" => "unknown split",
    "E0602" => "compared with itself",
    "W0001" => "unused definition",
    "W0002" => "unused import",
    "W0003" => "positive class not set",
    "W0004" => "feature shadows a column",
    "E0701" => "data file cannot be read",
    "E0702" => "empty data file",
    "E0703" => "no data rows",
    "E0704" => "duplicate column name",
    "E0705" => "ragged row",
    "E0706" => "value does not fit its column",
    "E0707" => "data file is not UTF-8",
    "E0708" => "column missing from the data",
    "E0709" => "missing label",
    "E0710" => "single class",
    "E0711" => "category level unseen in training",
    "E0712" => "infinite value",
    "E0713" => "missing values cannot be handled",
    "E0714" => "dataset cannot be split",
    "E0715" => "malformed record",
    "E0716" => "image or sequence column missing from the data",
    "E0717" => "missing or non-numeric image or sequence value",
    "E0718" => "not an IDX file",
    "E0719" => "truncated IDX file",
    "E0720" => "image and label counts differ",
    "E0721" => "labels file is not one-dimensional",
    "E0722" => "image cannot be decoded",
    "E0723" => "empty class folder",
    "E0724" => "fewer than two classes",
    "E0801" => "training diverged",
    "E0802" => "not supported by this runtime",
    "E0803" => "fitting or prediction failed",
    "E0804" => "run records cannot be written",
    "E0805" => "inconsistent plan",
    "E0806" => "invalid search space",
    "E0809" => "expression cannot be evaluated",
    "E0810" => "this build has no CUDA support",
    "E0811" => "the CUDA device cannot be opened",
}

pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}
