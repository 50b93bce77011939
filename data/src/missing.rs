//! What a missing cell is, for every format and for both readers of a data file: the loader (an
//! Arrow null) and the checker's sample (`None`, so schema inference sees no value). One
//! definition, so a column the checker infers as nullable is the column the loader fills with
//! nulls, and a marker never becomes a category level at check time and a null at run time.

/// Whether a cell, trimmed of blanks, is missing: empty, or one of the markers `NA`, `N/A`,
/// `NaN`, `nan`, `null`, `NULL` and `?`. (A numeric column also reads any other NaN spelling as
/// missing: that is a number, parsed by the column's type.)
#[inline]
pub fn is_missing(cell: &[u8]) -> bool {
    matches!(cell, b"" | b"NA" | b"N/A" | b"NaN" | b"nan" | b"null" | b"NULL" | b"?")
}

#[cfg(test)]
mod tests {
    use super::is_missing;

    #[test]
    fn markers_and_empty_cells_are_missing_and_nothing_else() {
        for cell in ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"] {
            assert!(is_missing(cell.as_bytes()), "{cell:?}");
        }
        for cell in ["na", "None", "-", "0", "??", " NA"] {
            assert!(!is_missing(cell.as_bytes()), "{cell:?}");
        }
    }
}
