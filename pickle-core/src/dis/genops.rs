//! Walking a pickle one opcode at a time, reading each argument by its
//! [`ArgKind`] alone.

use std::borrow::Cow;
use std::fmt;
use std::iter::FusedIterator;

use num_bigint::BigInt;

use super::text;
use crate::error::{Error, ErrorKind, Result};
use crate::opcode::{ArgKind, Opcode, OpcodeInfo};
use crate::{pyrepr, pytext};

/// One opcode of a pickle, with its decoded argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Op<'a> {
    /// The byte offset of the opcode in the pickle.
    pub offset: usize,
    /// The opcode's row in the table.
    pub info: &'static OpcodeInfo,
    /// The inline argument, decoded as `pickletools` decodes it.
    pub arg: Arg<'a>,
    /// The byte offset just past the argument: where the next opcode starts.
    pub end: usize,
}

/// An opcode's inline argument, decoded as `pickletools` decodes it.
///
/// [`Display`](fmt::Display) writes Python's `repr` of the value, which is
/// what the disassembly shows.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Arg<'a> {
    /// The opcode takes no argument.
    None,
    /// An int that fits in an `i64`: the fixed-width kinds, decimal text and
    /// LONG1/LONG4 when small enough.
    Int(i64),
    /// An int outside the `i64` range. Smaller ints are always [`Arg::Int`].
    BigInt(BigInt),
    /// `False` or `True`: the `decimalnl_short` texts `00` and `01`.
    Bool(bool),
    /// A float (FLOAT, BINFLOAT).
    Float(f64),
    /// A str: the text of STRING, PERSID and the UNICODE family, or the
    /// Latin-1 reading of BINSTRING and SHORT_BINSTRING.
    Str(Cow<'a, str>),
    /// A str holding lone surrogates, which a Rust `str` cannot: its code points.
    SurrogateStr(Vec<u32>),
    /// The two lines of GLOBAL and INST. Shown as one str, `'module name'`.
    Global {
        /// The module.
        module: Cow<'a, str>,
        /// The qualified name.
        name: Cow<'a, str>,
    },
    /// bytes (SHORT_BINBYTES, BINBYTES, BINBYTES8).
    Bytes(&'a [u8]),
    /// The contents of a bytearray (BYTEARRAY8).
    ByteArray(&'a [u8]),
}

impl Arg<'_> {
    /// Appends Python's `repr` of the argument to `out`.
    pub(super) fn write_repr(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Arg::None => out.push_str("None"),
            Arg::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Arg::BigInt(n) => {
                let _ = write!(out, "{n}");
            }
            Arg::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Arg::Float(x) => pyrepr::write_float_repr(out, *x),
            Arg::Str(s) => pyrepr::write_str_repr(out, s),
            Arg::SurrogateStr(cps) => text::write_code_points_repr(out, cps),
            Arg::Global { module, name } => {
                pyrepr::write_str_repr(out, &format!("{module} {name}"));
            }
            Arg::Bytes(b) => pyrepr::write_bytes_repr(out, b),
            Arg::ByteArray(b) => {
                out.push_str("bytearray(");
                pyrepr::write_bytes_repr(out, b);
                out.push(')');
            }
        }
    }
}

impl fmt::Display for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_repr(&mut s);
        f.write_str(&s)
    }
}

/// The opcodes of a pickle, from its start through STOP. See [`genops`].
#[derive(Clone, Debug)]
pub struct Ops<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

/// Iterates over the opcodes of the pickle at the start of `data`, as
/// `pickletools.genops` does.
///
/// Each item is an [`Op`] or, for a truncated pickle, an unknown opcode or a
/// malformed argument, an [`Error`] naming the offset and opcode; after an
/// error or the STOP opcode the iterator ends. Bytes after STOP are not read.
/// Only the opcode table is consulted: each argument is read by the reader
/// for its [`ArgKind`]. Lengths written in the pickle are checked against the
/// bytes that remain before anything is taken.
///
/// ```
/// use pickle_core::dis::{genops, Arg};
///
/// // pickle.dumps((1, 'a'), protocol=2)
/// let data = b"\x80\x02K\x01X\x01\x00\x00\x00aq\x00\x86q\x01.";
/// let ops: Vec<_> = genops(data).collect::<Result<_, _>>()?;
/// let names: Vec<_> = ops.iter().map(|op| op.info.name).collect();
/// assert_eq!(names, ["PROTO", "BININT1", "BINUNICODE", "BINPUT", "TUPLE2", "BINPUT", "STOP"]);
/// assert_eq!(ops[2].offset, 4);
/// assert_eq!(ops[2].arg, Arg::Str("a".into()));
///
/// let err = genops(b"\x80\x02X\x05\x00\x00\x00ab").last().unwrap().unwrap_err();
/// assert_eq!(err.offset(), Some(2));
/// assert_eq!(err.to_string(), "expected 5 bytes in a unicodestring4, but only 2 remain at byte 2 (opcode BINUNICODE)");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn genops(data: &[u8]) -> Ops<'_> {
    Ops {
        data,
        pos: 0,
        done: false,
    }
}

impl<'a> Ops<'a> {
    /// The offset of the next opcode to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn read_op(&mut self) -> Result<Op<'a>> {
        let offset = self.pos;
        let Some(&byte) = self.data.get(offset) else {
            return Err(
                Error::new(ErrorKind::Truncated, "pickle exhausted before seeing STOP")
                    .at(offset as u64, None),
            );
        };
        let Some(info) = OpcodeInfo::from_byte(byte) else {
            return Err(Error::new(
                ErrorKind::UnknownOpcode,
                format!("opcode {} unknown", pyrepr::bytes_repr(&[byte])),
            )
            .at(offset as u64, None));
        };
        let mut args = Cursor {
            data: self.data,
            pos: offset + 1,
        };
        let arg =
            read_arg(info.arg, &mut args).map_err(|e| e.at(offset as u64, Some(info.opcode)))?;
        self.pos = args.pos;
        Ok(Op {
            offset,
            info,
            arg,
            end: args.pos,
        })
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<Op<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let op = self.read_op();
        self.done = match &op {
            Ok(op) => op.info.opcode == Opcode::Stop,
            Err(_) => true,
        };
        Some(op)
    }
}

impl FusedIterator for Ops<'_> {}

/// The bytes after an opcode.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

fn truncated(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Truncated, message)
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Exactly `N` bytes, for a fixed-width argument.
    fn fixed<const N: usize>(&mut self, kind: &str) -> Result<[u8; N]> {
        let bytes = self
            .data
            .get(self.pos..self.pos + N)
            .and_then(|b| <[u8; N]>::try_from(b).ok())
            .ok_or_else(|| truncated(format!("not enough data in stream to read {kind}")))?;
        self.pos += N;
        Ok(bytes)
    }

    /// `n` bytes, checked against what remains before anything is taken.
    fn counted(&mut self, n: u64, kind: &str) -> Result<&'a [u8]> {
        let remaining = self.remaining();
        if n > remaining as u64 {
            return Err(truncated(format!(
                "expected {n} bytes in a {kind}, but only {remaining} remain"
            )));
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.data[start..self.pos])
    }

    /// The bytes up to the next newline, which is consumed.
    fn line(&mut self, kind: &str) -> Result<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| truncated(format!("no newline found when trying to read {kind}")))?;
        self.pos += len + 1;
        Ok(&rest[..len])
    }

    fn uint1(&mut self) -> Result<u8> {
        Ok(self.fixed::<1>("uint1")?[0])
    }

    fn uint4(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.fixed("uint4")?))
    }

    fn int4(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.fixed("int4")?))
    }

    fn uint8(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.fixed("uint8")?))
    }

    /// A length read as `int4` that must not be negative.
    fn signed_len(&mut self, kind: &str) -> Result<u64> {
        let n = self.int4()?;
        u64::try_from(n).map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{kind} byte count < 0: {n}"),
            )
        })
    }

    /// A length read as `uint8` that must not pass `sys.maxsize`.
    fn len8(&mut self, kind: &str) -> Result<u64> {
        let n = self.uint8()?;
        if n > i64::MAX as u64 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("{kind} byte count > sys.maxsize: {n}"),
            ));
        }
        Ok(n)
    }
}

/// `stringnl`: a line in quotes, with Python escapes, that must be ASCII.
fn stringnl<'a>(args: &mut Cursor<'a>) -> Result<Cow<'a, str>> {
    let line = args.line("stringnl")?;
    let inner = match line {
        [q @ (b'"' | b'\''), ..] => match line {
            [_] => &line[1..],
            [_, inner @ .., last] if last == q => inner,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "string quote {} not found at both ends of {}",
                        pyrepr::bytes_repr(&[*q]),
                        pyrepr::bytes_repr(line)
                    ),
                ))
            }
        },
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("no string quotes around {}", pyrepr::bytes_repr(line)),
            ))
        }
    };
    pytext::ascii(pytext::escape_decode(inner)?)
}

/// `stringnl_noescape`: a line read like `stringnl` but without quotes.
fn stringnl_noescape<'a>(args: &mut Cursor<'a>) -> Result<Cow<'a, str>> {
    let line = args.line("stringnl")?;
    pytext::ascii(pytext::escape_decode(line)?)
}

/// `long1`/`long4` payload: little-endian two's complement; empty is 0.
fn long(bytes: &[u8]) -> Arg<'static> {
    text::int_arg(BigInt::from_signed_bytes_le(bytes))
}

fn read_arg<'a>(kind: ArgKind, args: &mut Cursor<'a>) -> Result<Arg<'a>> {
    Ok(match kind {
        ArgKind::None => Arg::None,
        ArgKind::Uint1 => Arg::Int(args.uint1()?.into()),
        ArgKind::Uint2 => Arg::Int(u16::from_le_bytes(args.fixed("uint2")?).into()),
        ArgKind::Int4 => Arg::Int(args.int4()?.into()),
        ArgKind::Uint4 => Arg::Int(args.uint4()?.into()),
        ArgKind::Uint8 => text::int_arg(args.uint8()?.into()),
        ArgKind::DecimalNlShort => pytext::decimalnl_short(args.line("stringnl")?)?.into(),
        ArgKind::DecimalNlLong => pytext::decimalnl_long(args.line("stringnl")?)?.into(),
        ArgKind::FloatNl => Arg::Float(text::parse_float(args.line("stringnl")?)?),
        ArgKind::Float8 => Arg::Float(f64::from_be_bytes(args.fixed("float8")?)),
        ArgKind::StringNl => Arg::Str(stringnl(args)?),
        ArgKind::StringNlNoescape => Arg::Str(stringnl_noescape(args)?),
        ArgKind::StringNlNoescapePair => {
            let module = stringnl_noescape(args)?;
            let name = stringnl_noescape(args)?;
            Arg::Global { module, name }
        }
        ArgKind::String1 => {
            let n = args.uint1()?;
            Arg::Str(pytext::latin1(args.counted(n.into(), "string1")?))
        }
        ArgKind::String4 => {
            let n = args.signed_len("string4")?;
            Arg::Str(pytext::latin1(args.counted(n, "string4")?))
        }
        ArgKind::Bytes1 => {
            let n = args.uint1()?;
            Arg::Bytes(args.counted(n.into(), "bytes1")?)
        }
        ArgKind::Bytes4 => {
            let n = args.uint4()?;
            Arg::Bytes(args.counted(n.into(), "bytes4")?)
        }
        ArgKind::Bytes8 => {
            let n = args.len8("bytes8")?;
            Arg::Bytes(args.counted(n, "bytes8")?)
        }
        ArgKind::ByteArray8 => {
            let n = args.len8("bytearray8")?;
            Arg::ByteArray(args.counted(n, "bytearray8")?)
        }
        ArgKind::UnicodeStringNl => text::raw_unicode_escape(args.line("unicodestringnl")?)?,
        ArgKind::UnicodeString1 => {
            let n = args.uint1()?;
            text::utf8_surrogatepass(args.counted(n.into(), "unicodestring1")?)?
        }
        ArgKind::UnicodeString4 => {
            let n = args.uint4()?;
            text::utf8_surrogatepass(args.counted(n.into(), "unicodestring4")?)?
        }
        ArgKind::UnicodeString8 => {
            let n = args.len8("unicodestring8")?;
            text::utf8_surrogatepass(args.counted(n, "unicodestring8")?)?
        }
        ArgKind::Long1 => {
            let n = args.uint1()?;
            let bytes = args
                .counted(n.into(), "long1")
                .map_err(|_| truncated("not enough data in stream to read long1"))?;
            long(bytes)
        }
        ArgKind::Long4 => {
            let n = args.signed_len("long4")?;
            let bytes = args
                .counted(n, "long4")
                .map_err(|_| truncated("not enough data in stream to read long4"))?;
            long(bytes)
        }
    })
}
