//! `uuid.UUID` ↔ [`uuid::Uuid`] (feature `uuid`).
//!
//! `uuid.UUID.__getstate__` returns `{'int': self.int}` (with `'is_safe'`
//! too when it is known), so CPython writes a UUID as a plain instance:
//! `NEWOBJ(uuid.UUID, ())` then BUILD with that dict, and
//! `copyreg._reconstructor(uuid.UUID, object, None)` below protocol 2.
//! A `Uuid` writes no `is_safe` (Python's `SafeUUID.unknown`); loading
//! ignores it.
//!
//! ```
//! use uuid::Uuid;
//!
//! // pickle.dumps(uuid.UUID(int=5), protocol=2)
//! let data = pickle_core::ser::to_vec(&Uuid::from_u128(5), 2)?;
//! assert_eq!(data, b"\x80\x02cuuid\nUUID\nq\x00)\x81q\x01}q\x02X\x03\x00\x00\x00intq\x03K\x05sb.");
//! assert_eq!(pickle_core::loads::<Uuid>(&data)?, Uuid::from_u128(5));
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::io;

use uuid::Uuid;

use crate::de::{FromPickle, Node};
use crate::error::Result;
use crate::ser::{ToPickle, Writer};

impl ToPickle for Uuid {
    /// A `uuid.UUID`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_newobj("uuid", "UUID", 0, |_, _| Ok(()))?;
        w.write_dict(1, |w, _| {
            w.write_attr_name("int")?;
            self.as_u128().to_pickle(w)
        })?;
        w.write_build()
    }
}

impl<'de> FromPickle<'de> for Uuid {
    /// A `uuid.UUID`: its `int` attribute.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let obj = node.expect_instance(&[("uuid", "UUID")])?;
        let int: u128 = obj
            .attr("int")?
            .extract()
            .map_err(|e| e.in_field("uuid.UUID", "int"))?;
        Ok(Uuid::from_u128(int))
    }
}
