//! The unpickling VM. (Being written.)

use super::{Limits, Unpickler};
use crate::error::{Error, ErrorKind, Result};
use crate::read::Read;
use crate::value::Value;

pub(super) fn check_input_size(len: u64, limits: &Limits) -> Result<()> {
    if len > limits.max_input_bytes {
        return Err(Error::new(
            ErrorKind::InputTooLarge,
            format!(
                "input of {len} bytes is over the limit of {} bytes",
                limits.max_input_bytes
            ),
        ));
    }
    Ok(())
}

pub(super) fn run<'de, R: Read<'de>>(
    _reader: R,
    _options: &mut Unpickler<'_, 'de>,
) -> Result<Value<'de>> {
    Err(Error::new(ErrorKind::Custom, "not yet implemented"))
}
