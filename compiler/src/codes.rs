//! The diagnostic codes: a stable code, a short title, and the long explanation that
//! `mlpc explain CODE` prints, embedded from `docs/errors/CODE.md`. Codes are never reused.
//!
//! [`Code`] is an enum, one variant per code, named by the code itself (`Code::E0202`) so that
//! a use site greps like the fixture (`tests/diagnostics/e0202_*.mlp`) and the doc
//! (`docs/errors/E0202.md`) it goes with. A code that is not listed here is a compile error, a
//! `match` over codes is checked for exhaustiveness, and a value is one byte. Where text was
//! expected (rendering, JSON, comparisons in tests) a `Code` reads as its `&'static str`: see
//! the `Display`, `Serialize`, `From` and `PartialEq<&str>` impls below.

use crate::diagnostic::Severity;
use std::fmt;

macro_rules! codes {
    ($($code:ident => $title:literal,)*) => {
        /// One diagnostic code (`E` errors, `W` warnings), compile-time (E00xx–E06xx, W00xx) or
        /// run-time (E07xx data, E08xx execution).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($code,)*
        }

        impl Code {
            /// Every code, in the order of this list (and of docs/diagnostics.md).
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The code as written: `"E0202"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => stringify!($code),)*
                }
            }

            /// The short title, as in docs/diagnostics.md: `"wrong type"`.
            pub const fn title(self) -> &'static str {
                match self {
                    $(Code::$code => $title,)*
                }
            }

            /// The long explanation `mlpc explain` prints: `docs/errors/CODE.md`.
            pub const fn explanation(self) -> &'static str {
                match self {
                    $(Code::$code => include_str!(concat!("../../docs/errors/", stringify!($code), ".md")),)*
                }
            }
        }
    };
}

codes! {
    E0001 => "syntax error",
    E0002 => "nesting too deep",
    E0003 => "chained comparison",
    E0004 => "empty spec",
    E0005 => "integer literal out of range",
    E0010 => "imported file cannot be read",
    E0011 => "import cycle",
    E0012 => "import of something that is not a spec file",
    E0013 => "imported file too large",
    E0101 => "duplicate definition",
    E0102 => "unknown name",
    E0103 => "unknown built-in",
    E0104 => "wrong kind of definition",
    E0105 => "definition cycle",
    E0201 => "unknown setting",
    E0202 => "wrong type",
    E0203 => "missing value",
    E0204 => "unknown or extra argument",
    E0205 => "given twice",
    E0206 => "value out of range",
    E0207 => "not allowed here",
    E0209 => "nothing to run",
    E0301 => "unknown column",
    E0302 => "data file not found",
    E0303 => "no label",
    E0304 => "invalid positive class",
    E0305 => "split fractions do not sum to 1",
    E0306 => "preprocessing applied twice",
    E0307 => "column unfit for its use",
    E0308 => "schema cannot be inferred",
    E0309 => "invalid column type",
    E0310 => "image or sequence column missing from the data",
    E0311 => "IDX file unfit",
    E0312 => "image folder unfit",
    E0313 => "schema block on a file-defined source",
    E0314 => "invalid image channels",
    E0315 => "augmentation without an image column",
    E0316 => "window longer than the data",
    E0317 => "window over non-numeric columns",
    E0318 => "tokenizer without a text column",
    E0319 => "split unfit for windows",
    E0320 => "data path is not a regular file",
    E0321 => "glob too broad",
    E0322 => "mostly numeric column with non-numeric values",
    E0323 => "data file is not UTF-8",
    E0401 => "type mismatch",
    E0402 => "unknown category level",
    E0403 => "metric does not fit the task",
    E0404 => "loss does not fit the task",
    E0405 => "shape mismatch",
    E0406 => "model input does not fit the data",
    E0407 => "objective direction contradicts the metric",
    E0408 => "missing or duplicate objective",
    E0409 => "baseline does not fit the task",
    E0410 => "model too large",
    E0411 => "network too deep",
    E0501 => "search over an unknown parameter",
    E0502 => "invalid search range",
    E0503 => "search too large",
    E0601 => "unknown split",
    E0602 => "compared with itself",
    E0603 => "not an environment variable name",
    W0001 => "unused definition",
    W0002 => "unused import",
    W0003 => "positive class not set",
    W0004 => "feature shadows a column",
    W0005 => "constant column",
    W0006 => "category with a level per row",
    E0701 => "data file cannot be read",
    E0702 => "empty data file",
    E0703 => "no data rows",
    E0704 => "duplicate column name",
    E0705 => "ragged row",
    E0706 => "value does not fit its column",
    E0707 => "data file is not UTF-8",
    E0708 => "column missing from the data",
    E0709 => "missing label",
    E0710 => "single class",
    E0711 => "category level unseen in training",
    E0712 => "infinite value",
    E0713 => "missing values cannot be handled",
    E0714 => "dataset cannot be split",
    E0715 => "malformed record",
    E0716 => "image or sequence column missing from the data",
    E0717 => "missing or non-numeric image or sequence value",
    E0718 => "not an IDX file",
    E0719 => "truncated IDX file",
    E0720 => "image and label counts differ",
    E0721 => "labels file is not one-dimensional",
    E0722 => "image cannot be decoded",
    E0723 => "empty class folder",
    E0724 => "fewer than two classes",
    E0725 => "data path unfit",
    E0726 => "label level unseen in training",
    E0801 => "training diverged",
    E0802 => "not supported by this runtime",
    E0803 => "fitting or prediction failed",
    E0804 => "run records cannot be written",
    E0805 => "inconsistent plan",
    E0806 => "invalid search space",
    E0809 => "expression cannot be evaluated",
    E0810 => "this build has no CUDA support",
    E0811 => "the CUDA device cannot be opened",
    E0812 => "the run history cannot be written",
    E0813 => "the run history is damaged",
    E0815 => "not enough memory",
    E0830 => "bundle cannot be read",
    E0831 => "bundle is damaged",
    E0832 => "input value cannot be read",
    E0833 => "unknown input column",
    E0834 => "input column missing",
    E0835 => "no bundle to use",
    E0836 => "predictions cannot be written",
    E0840 => "address cannot be bound",
    E0841 => "token variable not set",
    E0842 => "the server cannot run",
}

impl Code {
    /// Errors are `E` codes, warnings `W` codes.
    pub const fn severity(self) -> Severity {
        match self.as_str().as_bytes()[0] {
            b'W' => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The code written `text`, in any case (`e0202` is `Code::E0202`).
    pub fn lookup(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// In JSON a code is its text: `"code": "E0202"`.
impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<Code> for &'static str {
    fn from(code: Code) -> Self {
        code.as_str()
    }
}

impl From<Code> for String {
    fn from(code: Code) -> Self {
        code.as_str().to_string()
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Code {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn codes_read_as_their_text() {
        assert_eq!(Code::E0202.as_str(), "E0202");
        assert_eq!(Code::E0202.to_string(), "E0202");
        assert_eq!(format!("[{:>6}]", Code::W0001), "[ W0001]");
        assert!(Code::E0202 == "E0202" && "W0001" == Code::W0001);
        assert_eq!(Code::lookup("e0202"), Some(Code::E0202));
        assert_eq!(Code::lookup("E9999"), None);
    }

    #[test]
    fn severity_follows_the_letter() {
        for code in Code::ALL {
            let want = if code.as_str().starts_with('W') { crate::Severity::Warning } else { crate::Severity::Error };
            assert_eq!(code.severity(), want, "{code}");
        }
    }
}
