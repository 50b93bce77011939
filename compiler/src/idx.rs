//! The IDX file format (MNIST's): a header the checker reads through the `World` to learn an `idx`
//! source's columns, and the runtime reads to load it. Pure byte parsing, no I/O.
//!
//! Layout: two zero bytes, a type byte, the number of dimensions, then one big-endian `u32` per
//! dimension, then the values, big-endian, row-major.

use crate::types::{Column, ColumnType};

/// The element type of an IDX file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdxType {
    U8,
    I8,
    I16,
    I32,
    F32,
    F64,
}

impl IdxType {
    pub fn from_code(code: u8) -> Option<IdxType> {
        Some(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            _ => return None,
        })
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            IdxType::U8 => "u8",
            IdxType::I8 => "i8",
            IdxType::I16 => "i16",
            IdxType::I32 => "i32",
            IdxType::F32 => "f32",
            IdxType::F64 => "f64",
        }
    }

    pub fn is_integer(self) -> bool {
        !matches!(self, IdxType::F32 | IdxType::F64)
    }

    /// The value whose big-endian bytes start `bytes` (which holds at least [`size`](Self::size)).
    #[inline]
    pub fn read(self, bytes: &[u8]) -> f64 {
        match self {
            IdxType::U8 => f64::from(bytes[0]),
            IdxType::I8 => f64::from(bytes[0] as i8),
            IdxType::I16 => f64::from(i16::from_be_bytes([bytes[0], bytes[1]])),
            IdxType::I32 => f64::from(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            IdxType::F32 => f64::from(f32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            IdxType::F64 => f64::from_be_bytes(bytes[..8].try_into().unwrap_or([0; 8])),
        }
    }
}

/// A parsed IDX header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxHeader {
    pub ty: IdxType,
    /// The sizes, the first being the number of items (rows).
    pub dims: Vec<usize>,
    /// Where the values start.
    pub data_start: usize,
}

impl IdxHeader {
    /// Items (rows): the first dimension.
    pub fn rows(&self) -> usize {
        self.dims.first().copied().unwrap_or(0)
    }

    /// Values per item: the product of the other dimensions.
    pub fn item_width(&self) -> usize {
        self.dims.iter().skip(1).product()
    }

    /// Bytes the whole file must hold, or `None` when that overflows.
    pub fn file_len(&self) -> Option<usize> {
        self.dims.iter().try_fold(self.ty.size(), |acc, &d| acc.checked_mul(d))?.checked_add(self.data_start)
    }
}

/// Why bytes are not an IDX header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdxError {
    /// Fewer bytes than the header needs.
    Truncated {
        needed: usize,
        found: usize,
    },
    /// The first two bytes are not zero.
    BadMagic([u8; 4]),
    BadType(u8),
    NoDimensions,
}

impl std::fmt::Display for IdxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdxError::Truncated { needed, found } => {
                write!(f, "the header needs {needed} bytes but the file has {found}")
            }
            IdxError::BadMagic(m) => write!(
                f,
                "it starts with 0x{:02X}{:02X}{:02X}{:02X}, not an IDX magic number (0x000008.. to 0x00000E..)",
                m[0], m[1], m[2], m[3]
            ),
            IdxError::BadType(t) => write!(
                f,
                "its type byte 0x{t:02X} is none of u8 (0x08), i8 (0x09), i16 (0x0B), i32 (0x0C), f32 (0x0D), f64 (0x0E)"
            ),
            IdxError::NoDimensions => f.write_str("its header declares no dimensions"),
        }
    }
}

/// Bytes that always hold a header of up to 8 dimensions (more are read as needed).
pub const HEADER_BYTES: usize = 4 + 4 * 8;

/// Parses the header at the start of `bytes`.
pub fn parse_header(bytes: &[u8]) -> Result<IdxHeader, IdxError> {
    if bytes.len() < 4 {
        return Err(IdxError::Truncated { needed: 4, found: bytes.len() });
    }
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxError::BadMagic(magic));
    }
    let ty = IdxType::from_code(magic[2]).ok_or(IdxError::BadType(magic[2]))?;
    let rank = usize::from(magic[3]);
    if rank == 0 {
        return Err(IdxError::NoDimensions);
    }
    let data_start = 4 + 4 * rank;
    if bytes.len() < data_start {
        return Err(IdxError::Truncated { needed: data_start, found: bytes.len() });
    }
    let dims = (0..rank)
        .map(|i| {
            let at = 4 + 4 * i;
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
        })
        .collect();
    Ok(IdxHeader { ty, dims, data_start })
}

/// The columns an IDX file of items gives, besides the label: `image: image(1, h, w)` for
/// `[N, h, w]`, `image: image(c, h, w)` for `[N, h, w, c]`, the floats `x_0` … for `[N, F]`.
/// `None` (with the reason) for other ranks.
pub fn item_columns(header: &IdxHeader) -> Result<Vec<Column>, String> {
    let image = |channels, height, width| {
        vec![Column { name: "image".into(), ty: ColumnType::Image { channels, height, width }, nullable: false }]
    };
    if header.dims[1..].contains(&0) {
        return Err("an item has a size of 0".into());
    }
    let too_large =
        |what: &str| Err(format!("its {what} hold more than {} numbers per item", crate::types::MAX_TENSOR_WIDTH));
    match header.dims.as_slice() {
        [_, features] if *features > crate::types::MAX_TENSOR_WIDTH => too_large("rows"),
        [_, h, w] if (ColumnType::Image { channels: 1, height: *h, width: *w }).tensor_width().is_none() => {
            too_large("images")
        }
        [_, h, w, c] if (ColumnType::Image { channels: *c, height: *h, width: *w }).tensor_width().is_none() => {
            too_large("images")
        }
        [_, features] => Ok((0..*features)
            .map(|i| Column { name: format!("x_{i}"), ty: ColumnType::Float, nullable: false })
            .collect()),
        [_, h, w] => Ok(image(1, *h, *w)),
        [_, h, w, c] => Ok(image(*c, *h, *w)),
        dims => Err(format!(
            "it has {} dimension{}; images are [N, h, w] or [N, h, w, c] and tables [N, features]",
            dims.len(),
            if dims.len() == 1 { "" } else { "s" }
        )),
    }
}

/// The label column of an IDX labels file (whole file in `bytes`): a category of the distinct
/// integer values (written `0`, `1`, …), or a float for f32/f64 labels.
pub fn label_column(header: &IdxHeader, bytes: &[u8]) -> Result<Column, String> {
    if header.dims.len() != 1 {
        return Err(format!("a labels file has one dimension, this one has {}", header.dims.len()));
    }
    if !header.ty.is_integer() {
        return Ok(Column { name: "label".into(), ty: ColumnType::Float, nullable: false });
    }
    let size = header.ty.size();
    let values = bytes.get(header.data_start..).unwrap_or_default();
    if values.len() / size < header.rows() {
        return Err(format!("it declares {} labels but holds {}", header.rows(), values.len() / size));
    }
    let mut seen: Vec<i64> = Vec::new();
    if header.ty == IdxType::U8 {
        let mut present = [false; 256];
        for &b in &values[..header.rows()] {
            present[usize::from(b)] = true;
        }
        seen = (0..256).filter(|&v| present[v as usize]).collect();
    } else {
        seen.extend(values.chunks_exact(size).take(header.rows()).map(|c| header.ty.read(c) as i64));
        seen.sort_unstable();
        seen.dedup();
    }
    // Sorted as text, like every category's levels (and the classes the runtime reads).
    let mut levels: Vec<String> = seen.iter().map(i64::to_string).collect();
    levels.sort();
    Ok(Column { name: "label".into(), ty: ColumnType::Category { levels }, nullable: false })
}

#[cfg(test)]
mod tests {

    /// Sizes come from a file's header: a crafted one must be refused, not allocated or
    /// multiplied into an overflow.
    #[test]
    fn zero_and_oversized_items_are_refused() {
        let header = |dims: Vec<usize>| IdxHeader { ty: IdxType::U8, dims, data_start: 0 };
        assert!(item_columns(&header(vec![5, 0])).is_err());
        assert!(item_columns(&header(vec![5, 28, 0])).is_err());
        assert!(item_columns(&header(vec![1, u32::MAX as usize])).is_err());
        assert!(item_columns(&header(vec![1, 1 << 31, 1 << 31, 1 << 31])).is_err());
        assert_eq!(item_columns(&header(vec![5, 28, 28])).unwrap().len(), 1);
        assert_eq!(item_columns(&header(vec![5, 3])).unwrap().len(), 3);
    }
    use super::*;

    fn file(ty: u8, dims: &[u32], values: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, ty, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(values);
        bytes
    }

    #[test]
    fn headers_give_columns() {
        let images = parse_header(&file(0x08, &[2, 3, 4], &[0; 24])).unwrap();
        assert_eq!((images.rows(), images.item_width(), images.data_start), (2, 12, 16));
        assert_eq!(images.file_len(), Some(40));
        let columns = item_columns(&images).unwrap();
        assert_eq!(columns[0].ty, ColumnType::Image { channels: 1, height: 3, width: 4 });
        let rgb = parse_header(&file(0x08, &[2, 3, 4, 3], &[])).unwrap();
        assert_eq!(item_columns(&rgb).unwrap()[0].ty, ColumnType::Image { channels: 3, height: 3, width: 4 });
        let table = parse_header(&file(0x0D, &[5, 3], &[])).unwrap();
        assert_eq!(
            item_columns(&table).unwrap().iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["x_0", "x_1", "x_2"]
        );
        assert!(item_columns(&parse_header(&file(0x08, &[5], &[])).unwrap()).is_err());
    }

    #[test]
    fn labels_are_categories_of_their_distinct_values() {
        let bytes = file(0x08, &[5], &[3, 1, 3, 0, 10]);
        let header = parse_header(&bytes).unwrap();
        let column = label_column(&header, &bytes).unwrap();
        assert_eq!(column.ty, ColumnType::Category { levels: vec!["0".into(), "1".into(), "10".into(), "3".into()] });
        let wide = file(0x0C, &[2], &[0, 0, 1, 0, 255, 255, 255, 255]);
        let column = label_column(&parse_header(&wide).unwrap(), &wide).unwrap();
        assert_eq!(column.ty, ColumnType::Category { levels: vec!["-1".into(), "256".into()] });
        let short = file(0x08, &[5], &[1, 2]);
        assert!(label_column(&parse_header(&short).unwrap(), &short).is_err());
    }

    #[test]
    fn bad_headers_say_why() {
        assert_eq!(parse_header(b"PK\x03\x04"), Err(IdxError::BadMagic(*b"PK\x03\x04")));
        assert_eq!(parse_header(&[0, 0, 0x07, 1]), Err(IdxError::BadType(7)));
        assert_eq!(parse_header(&[0, 0, 0x08, 3, 0, 0]), Err(IdxError::Truncated { needed: 16, found: 6 }));
        assert_eq!(parse_header(&[0, 0]), Err(IdxError::Truncated { needed: 4, found: 2 }));
        assert_eq!(parse_header(&[0, 0, 8, 0]), Err(IdxError::NoDimensions));
        assert_eq!(IdxType::I16.read(&[0xFF, 0xFE]), -2.0);
        assert_eq!(IdxType::F32.read(&1.5f32.to_be_bytes()), 1.5);
    }
}
