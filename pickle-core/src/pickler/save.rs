//! Writing objects. (Being written.)

use std::io;

use super::Pickler;
use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

pub(super) fn dump<W: io::Write>(
    _pickler: &mut Pickler<'_>,
    _value: &Value<'_>,
    _writer: W,
) -> Result<()> {
    Err(Error::new(ErrorKind::Custom, "not yet implemented"))
}
