//! `complex` ↔ [`num_complex::Complex<f64>`] (feature `complex`).
//!
//! CPython writes a complex number as `REDUCE(builtins.complex, (re, im))`
//! at every protocol (`__builtin__.complex` below protocol 3). Loading also
//! accepts a float or an int that the float holds exactly, as `complex(x)`.
//!
//! ```
//! use num_complex::Complex;
//!
//! // pickle.dumps(1+2j, protocol=2)
//! let data = pickle_core::ser::to_vec(&Complex::new(1.0, 2.0), 2)?;
//! assert_eq!(data, b"\x80\x02c__builtin__\ncomplex\nq\x00G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x01Rq\x02.");
//! assert_eq!(pickle_core::loads::<Complex<f64>>(&data)?, Complex::new(1.0, 2.0));
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::io;

use num_complex::Complex;

use crate::de::{FromPickle, Node};
use crate::error::Result;
use crate::ser::{ToPickle, Writer};
use crate::value::Object;

impl ToPickle for Complex<f64> {
    /// A complex.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let parts = [self.re, self.im];
        w.write_reduce("builtins", "complex", 2, |w, i| w.write_float(parts[i]))
    }
}

impl<'de> FromPickle<'de> for Complex<f64> {
    /// A complex, or a float or int as `complex(x)`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        match node.object() {
            Object::Complex(c) => Ok(Complex::new(c.re, c.im)),
            Object::Float(_) | Object::Int(_) | Object::BigInt(_) => {
                Ok(Complex::new(node.extract::<f64>()?, 0.0))
            }
            _ => Err(node.type_error("complex")),
        }
    }
}
