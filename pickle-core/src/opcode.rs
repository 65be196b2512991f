//! The opcode table: every opcode of pickle protocols 0–5, described once.
//!
//! This table is the single source of truth about opcodes. The unpickler
//! dispatches on [`Opcode`], the pickler writes [`Opcode::byte`], and the
//! disassembler reads names, argument kinds and stack effects from
//! [`OpcodeInfo`]. Adding an opcode means adding one row to the
//! `opcodes!` invocation below.

use std::fmt;

/// How an opcode's argument is encoded in the byte stream.
///
/// The names follow `pickletools`' argument descriptors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArgKind {
    /// The opcode has no inline argument.
    None,
    /// `uint1`: one unsigned byte.
    Uint1,
    /// `uint2`: two-byte little-endian unsigned integer.
    Uint2,
    /// `int4`: four-byte little-endian signed integer.
    Int4,
    /// `uint4`: four-byte little-endian unsigned integer.
    Uint4,
    /// `uint8`: eight-byte little-endian unsigned integer.
    Uint8,
    /// `decimalnl_short`: a decimal integer ending in a newline (`00`/`01` are booleans).
    DecimalNlShort,
    /// `decimalnl_long`: a decimal integer with an optional trailing `L`, ending in a newline.
    DecimalNlLong,
    /// `floatnl`: a float written by `repr`, ending in a newline.
    FloatNl,
    /// `float8`: an IEEE-754 double, **big-endian**.
    Float8,
    /// `stringnl`: a quoted Python string literal ending in a newline.
    StringNl,
    /// `stringnl_noescape`: raw text ending in a newline.
    StringNlNoescape,
    /// `stringnl_noescape_pair`: two newline-terminated texts (module, then name).
    StringNlNoescapePair,
    /// `string1`: a one-byte length, then that many bytes.
    String1,
    /// `string4`: a four-byte signed little-endian length, then that many bytes.
    String4,
    /// `bytes1`: a one-byte length, then that many bytes.
    Bytes1,
    /// `bytes4`: a four-byte unsigned little-endian length, then that many bytes.
    Bytes4,
    /// `bytes8`: an eight-byte unsigned little-endian length, then that many bytes.
    Bytes8,
    /// `bytearray8`: an eight-byte length, then that many bytes.
    ByteArray8,
    /// `unicodestringnl`: raw-unicode-escape text ending in a newline.
    UnicodeStringNl,
    /// `unicodestring1`: a one-byte length, then UTF-8.
    UnicodeString1,
    /// `unicodestring4`: a four-byte length, then UTF-8.
    UnicodeString4,
    /// `unicodestring8`: an eight-byte length, then UTF-8.
    UnicodeString8,
    /// `long1`: a one-byte length, then a little-endian two's-complement integer.
    Long1,
    /// `long4`: a four-byte signed length, then a little-endian two's-complement integer.
    Long4,
}

impl ArgKind {
    /// The `pickletools` name of this argument kind.
    pub const fn name(self) -> &'static str {
        match self {
            ArgKind::None => "none",
            ArgKind::Uint1 => "uint1",
            ArgKind::Uint2 => "uint2",
            ArgKind::Int4 => "int4",
            ArgKind::Uint4 => "uint4",
            ArgKind::Uint8 => "uint8",
            ArgKind::DecimalNlShort => "decimalnl_short",
            ArgKind::DecimalNlLong => "decimalnl_long",
            ArgKind::FloatNl => "floatnl",
            ArgKind::Float8 => "float8",
            ArgKind::StringNl => "stringnl",
            ArgKind::StringNlNoescape => "stringnl_noescape",
            ArgKind::StringNlNoescapePair => "stringnl_noescape_pair",
            ArgKind::String1 => "string1",
            ArgKind::String4 => "string4",
            ArgKind::Bytes1 => "bytes1",
            ArgKind::Bytes4 => "bytes4",
            ArgKind::Bytes8 => "bytes8",
            ArgKind::ByteArray8 => "bytearray8",
            ArgKind::UnicodeStringNl => "unicodestringnl",
            ArgKind::UnicodeString1 => "unicodestring1",
            ArgKind::UnicodeString4 => "unicodestring4",
            ArgKind::UnicodeString8 => "unicodestring8",
            ArgKind::Long1 => "long1",
            ArgKind::Long4 => "long4",
        }
    }
}

/// How an argument is laid out in the byte stream: what a reader needs to
/// find where it ends without decoding it (`pickletools`' `n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgLayout {
    /// A fixed number of bytes (0 for no argument).
    Fixed(usize),
    /// A little-endian length of `width` bytes (two's complement when
    /// `signed`, where a negative length is an error), then that many bytes.
    Counted {
        /// The bytes of the length.
        width: usize,
        /// Whether the length is signed (`string4`, `long4`).
        signed: bool,
    },
    /// This many lines, each up to and including a `\n`.
    Lines(usize),
}

impl ArgKind {
    /// How an argument of this kind is laid out.
    pub const fn layout(self) -> ArgLayout {
        use ArgLayout::{Counted, Fixed, Lines};
        match self {
            ArgKind::None => Fixed(0),
            ArgKind::Uint1 => Fixed(1),
            ArgKind::Uint2 => Fixed(2),
            ArgKind::Int4 | ArgKind::Uint4 => Fixed(4),
            ArgKind::Uint8 | ArgKind::Float8 => Fixed(8),
            ArgKind::DecimalNlShort
            | ArgKind::DecimalNlLong
            | ArgKind::FloatNl
            | ArgKind::StringNl
            | ArgKind::StringNlNoescape
            | ArgKind::UnicodeStringNl => Lines(1),
            ArgKind::StringNlNoescapePair => Lines(2),
            ArgKind::String1 | ArgKind::Bytes1 | ArgKind::UnicodeString1 | ArgKind::Long1 => {
                Counted {
                    width: 1,
                    signed: false,
                }
            }
            ArgKind::String4 | ArgKind::Long4 => Counted {
                width: 4,
                signed: true,
            },
            ArgKind::Bytes4 | ArgKind::UnicodeString4 => Counted {
                width: 4,
                signed: false,
            },
            ArgKind::Bytes8 | ArgKind::ByteArray8 | ArgKind::UnicodeString8 => Counted {
                width: 8,
                signed: false,
            },
        }
    }
}

/// One kind of item an opcode pops or pushes, as `pickletools` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StackItem {
    /// Any Python object.
    Any,
    /// The mark pushed by MARK.
    Mark,
    /// Everything above the topmost mark.
    StackSlice,
    /// An int.
    Int,
    /// An int, or a bool when the text is `00`/`01`.
    IntOrBool,
    /// A bool.
    Bool,
    /// `None`.
    None,
    /// A float.
    Float,
    /// A str.
    Str,
    /// bytes.
    Bytes,
    /// A Python 2 `str`: bytes or str, depending on the `encoding` option.
    BytesOrStr,
    /// A bytearray.
    ByteArray,
    /// An out-of-band buffer.
    Buffer,
    /// A list.
    List,
    /// A tuple.
    Tuple,
    /// A dict.
    Dict,
    /// A set.
    Set,
    /// A frozenset.
    FrozenSet,
}

impl StackItem {
    /// The `pickletools` name of this stack item.
    pub const fn name(self) -> &'static str {
        match self {
            StackItem::Any => "any",
            StackItem::Mark => "mark",
            StackItem::StackSlice => "stackslice",
            StackItem::Int => "int",
            StackItem::IntOrBool => "int_or_bool",
            StackItem::Bool => "bool",
            StackItem::None => "None",
            StackItem::Float => "float",
            StackItem::Str => "str",
            StackItem::Bytes => "bytes",
            StackItem::BytesOrStr => "bytes_or_str",
            StackItem::ByteArray => "bytearray",
            StackItem::Buffer => "buffer",
            StackItem::List => "list",
            StackItem::Tuple => "tuple",
            StackItem::Dict => "dict",
            StackItem::Set => "set",
            StackItem::FrozenSet => "frozenset",
        }
    }
}

/// Everything known about one opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpcodeInfo {
    /// The opcode.
    pub opcode: Opcode,
    /// Its name, as `pickletools` spells it (`BININT1`).
    pub name: &'static str,
    /// Its byte in the stream.
    pub byte: u8,
    /// How its inline argument is encoded.
    pub arg: ArgKind,
    /// The protocol that introduced it.
    pub proto: u8,
    /// What it pops.
    pub stack_before: &'static [StackItem],
    /// What it pushes.
    pub stack_after: &'static [StackItem],
    /// One line on what it does.
    pub doc: &'static str,
}

macro_rules! opcodes {
    ($( $variant:ident = $byte:literal, $name:literal, $arg:ident, proto $proto:literal,
        [$($before:ident),*] -> [$($after:ident),*], $doc:literal; )*) => {
        /// A pickle opcode. The discriminant is the opcode's byte.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Opcode {
            $( #[doc = $doc] $variant = $byte, )*
        }

        /// Every opcode of protocols 0–5, in `pickletools` order.
        pub static OPCODES: &[OpcodeInfo] = &[
            $( OpcodeInfo {
                opcode: Opcode::$variant,
                name: $name,
                byte: $byte,
                arg: ArgKind::$arg,
                proto: $proto,
                stack_before: &[$(StackItem::$before),*],
                stack_after: &[$(StackItem::$after),*],
                doc: $doc,
            }, )*
        ];

        /// Maps every byte to its index in [`OPCODES`], or `u8::MAX`.
        static BY_BYTE: [u8; 256] = {
            let mut table = [u8::MAX; 256];
            let mut i = 0;
            let bytes = [$($byte),*];
            while i < bytes.len() {
                table[bytes[i] as usize] = i as u8;
                i += 1;
            }
            table
        };
    };
}

opcodes! {
    Int = b'I', "INT", DecimalNlShort, proto 0, [] -> [IntOrBool], "Push an int (or bool, for `00`/`01`) written in decimal.";
    BinInt = b'J', "BININT", Int4, proto 1, [] -> [Int], "Push a four-byte signed int.";
    BinInt1 = b'K', "BININT1", Uint1, proto 1, [] -> [Int], "Push a one-byte unsigned int.";
    BinInt2 = b'M', "BININT2", Uint2, proto 1, [] -> [Int], "Push a two-byte unsigned int.";
    Long = b'L', "LONG", DecimalNlLong, proto 0, [] -> [Int], "Push an int written in decimal with a trailing `L`.";
    Long1 = 0x8a, "LONG1", Long1, proto 2, [] -> [Int], "Push an int of up to 255 two's-complement bytes.";
    Long4 = 0x8b, "LONG4", Long4, proto 2, [] -> [Int], "Push an int with a four-byte length of two's-complement bytes.";
    String = b'S', "STRING", StringNl, proto 0, [] -> [BytesOrStr], "Push a Python 2 str written as a quoted literal.";
    BinString = b'T', "BINSTRING", String4, proto 1, [] -> [BytesOrStr], "Push a Python 2 str with a four-byte length.";
    ShortBinString = b'U', "SHORT_BINSTRING", String1, proto 1, [] -> [BytesOrStr], "Push a Python 2 str with a one-byte length.";
    BinBytes = b'B', "BINBYTES", Bytes4, proto 3, [] -> [Bytes], "Push bytes with a four-byte length.";
    ShortBinBytes = b'C', "SHORT_BINBYTES", Bytes1, proto 3, [] -> [Bytes], "Push bytes with a one-byte length.";
    BinBytes8 = 0x8e, "BINBYTES8", Bytes8, proto 4, [] -> [Bytes], "Push bytes with an eight-byte length.";
    ByteArray8 = 0x96, "BYTEARRAY8", ByteArray8, proto 5, [] -> [ByteArray], "Push a bytearray with an eight-byte length.";
    NextBuffer = 0x97, "NEXT_BUFFER", None, proto 5, [] -> [Buffer], "Push the next out-of-band buffer.";
    ReadonlyBuffer = 0x98, "READONLY_BUFFER", None, proto 5, [Buffer] -> [Buffer], "Make the buffer on top of the stack read-only.";
    None = b'N', "NONE", None, proto 0, [] -> [None], "Push None.";
    NewTrue = 0x88, "NEWTRUE", None, proto 2, [] -> [Bool], "Push True.";
    NewFalse = 0x89, "NEWFALSE", None, proto 2, [] -> [Bool], "Push False.";
    Unicode = b'V', "UNICODE", UnicodeStringNl, proto 0, [] -> [Str], "Push a str written in raw-unicode-escape.";
    ShortBinUnicode = 0x8c, "SHORT_BINUNICODE", UnicodeString1, proto 4, [] -> [Str], "Push a UTF-8 str with a one-byte length.";
    BinUnicode = b'X', "BINUNICODE", UnicodeString4, proto 1, [] -> [Str], "Push a UTF-8 str with a four-byte length.";
    BinUnicode8 = 0x8d, "BINUNICODE8", UnicodeString8, proto 4, [] -> [Str], "Push a UTF-8 str with an eight-byte length.";
    Float = b'F', "FLOAT", FloatNl, proto 0, [] -> [Float], "Push a float written by repr.";
    BinFloat = b'G', "BINFLOAT", Float8, proto 1, [] -> [Float], "Push a big-endian IEEE-754 double.";
    EmptyList = b']', "EMPTY_LIST", None, proto 1, [] -> [List], "Push an empty list.";
    Append = b'a', "APPEND", None, proto 0, [List, Any] -> [List], "Append the top item to the list below it.";
    Appends = b'e', "APPENDS", None, proto 1, [List, Mark, StackSlice] -> [List], "Extend the list below the mark with the items above it.";
    List = b'l', "LIST", None, proto 0, [Mark, StackSlice] -> [List], "Build a list from the items above the mark.";
    EmptyTuple = b')', "EMPTY_TUPLE", None, proto 1, [] -> [Tuple], "Push the empty tuple.";
    Tuple = b't', "TUPLE", None, proto 0, [Mark, StackSlice] -> [Tuple], "Build a tuple from the items above the mark.";
    Tuple1 = 0x85, "TUPLE1", None, proto 2, [Any] -> [Tuple], "Build a 1-tuple from the top item.";
    Tuple2 = 0x86, "TUPLE2", None, proto 2, [Any, Any] -> [Tuple], "Build a 2-tuple from the top two items.";
    Tuple3 = 0x87, "TUPLE3", None, proto 2, [Any, Any, Any] -> [Tuple], "Build a 3-tuple from the top three items.";
    EmptyDict = b'}', "EMPTY_DICT", None, proto 1, [] -> [Dict], "Push an empty dict.";
    Dict = b'd', "DICT", None, proto 0, [Mark, StackSlice] -> [Dict], "Build a dict from key/value pairs above the mark.";
    SetItem = b's', "SETITEM", None, proto 0, [Dict, Any, Any] -> [Dict], "Set one key/value pair in the dict below them.";
    SetItems = b'u', "SETITEMS", None, proto 1, [Dict, Mark, StackSlice] -> [Dict], "Set the key/value pairs above the mark in the dict below it.";
    EmptySet = 0x8f, "EMPTY_SET", None, proto 4, [] -> [Set], "Push an empty set.";
    AddItems = 0x90, "ADDITEMS", None, proto 4, [Set, Mark, StackSlice] -> [Set], "Add the items above the mark to the set below it.";
    FrozenSet = 0x91, "FROZENSET", None, proto 4, [Mark, StackSlice] -> [FrozenSet], "Build a frozenset from the items above the mark.";
    Pop = b'0', "POP", None, proto 0, [Any] -> [], "Discard the top item.";
    Dup = b'2', "DUP", None, proto 0, [Any] -> [Any, Any], "Push the top item again.";
    Mark = b'(', "MARK", None, proto 0, [] -> [Mark], "Push a mark.";
    PopMark = b'1', "POP_MARK", None, proto 1, [Mark, StackSlice] -> [], "Discard everything down to and including the topmost mark.";
    Get = b'g', "GET", DecimalNlShort, proto 0, [] -> [Any], "Push a memo entry named by a decimal index.";
    BinGet = b'h', "BINGET", Uint1, proto 1, [] -> [Any], "Push a memo entry named by a one-byte index.";
    LongBinGet = b'j', "LONG_BINGET", Uint4, proto 1, [] -> [Any], "Push a memo entry named by a four-byte index.";
    Put = b'p', "PUT", DecimalNlShort, proto 0, [] -> [], "Store the top item in the memo under a decimal index.";
    BinPut = b'q', "BINPUT", Uint1, proto 1, [] -> [], "Store the top item in the memo under a one-byte index.";
    LongBinPut = b'r', "LONG_BINPUT", Uint4, proto 1, [] -> [], "Store the top item in the memo under a four-byte index.";
    Memoize = 0x94, "MEMOIZE", None, proto 4, [Any] -> [Any], "Store the top item in the memo under the next index.";
    Ext1 = 0x82, "EXT1", Uint1, proto 2, [] -> [Any], "Push the global registered under a one-byte extension code.";
    Ext2 = 0x83, "EXT2", Uint2, proto 2, [] -> [Any], "Push the global registered under a two-byte extension code.";
    Ext4 = 0x84, "EXT4", Int4, proto 2, [] -> [Any], "Push the global registered under a four-byte extension code.";
    Global = b'c', "GLOBAL", StringNlNoescapePair, proto 0, [] -> [Any], "Push a global named by module and qualname text.";
    StackGlobal = 0x93, "STACK_GLOBAL", None, proto 4, [Str, Str] -> [Any], "Push a global named by the module and qualname strs on the stack.";
    Reduce = b'R', "REDUCE", None, proto 0, [Any, Any] -> [Any], "Call a callable with an args tuple.";
    Build = b'b', "BUILD", None, proto 0, [Any, Any] -> [Any], "Apply state to an object, as `__setstate__` does.";
    Inst = b'i', "INST", StringNlNoescapePair, proto 0, [Mark, StackSlice] -> [Any], "Build an instance of a named class from the items above the mark.";
    Obj = b'o', "OBJ", None, proto 1, [Mark, Any, StackSlice] -> [Any], "Build an instance of the class just above the mark from the items after it.";
    NewObj = 0x81, "NEWOBJ", None, proto 2, [Any, Any] -> [Any], "Create an object with `cls.__new__(cls, *args)`.";
    NewObjEx = 0x92, "NEWOBJ_EX", None, proto 4, [Any, Any, Any] -> [Any], "Create an object with `cls.__new__(cls, *args, **kwargs)`.";
    Proto = 0x80, "PROTO", Uint1, proto 2, [] -> [], "Declare the protocol version.";
    Stop = b'.', "STOP", None, proto 0, [Any] -> [], "End the pickle; the top item is the result.";
    Frame = 0x95, "FRAME", Uint8, proto 4, [] -> [], "Start a frame of the given length.";
    PersId = b'P', "PERSID", StringNlNoescape, proto 0, [] -> [Any], "Push the object for a persistent id written as text.";
    BinPersId = b'Q', "BINPERSID", None, proto 1, [Any] -> [Any], "Push the object for the persistent id on the stack.";
}

impl Opcode {
    /// The opcode for a byte, or `None` if no opcode uses it.
    #[inline]
    pub fn from_byte(byte: u8) -> Option<Opcode> {
        OpcodeInfo::from_byte(byte).map(|info| info.opcode)
    }

    /// This opcode's byte in the stream.
    #[inline]
    pub const fn byte(self) -> u8 {
        self as u8
    }

    /// This opcode's row in the table.
    #[inline]
    pub fn info(self) -> &'static OpcodeInfo {
        // Every variant has a row, so the lookup cannot fail.
        &OPCODES[BY_BYTE[self as usize] as usize]
    }

    /// This opcode's `pickletools` name.
    #[inline]
    pub fn name(self) -> &'static str {
        self.info().name
    }
}

impl OpcodeInfo {
    /// The row for a byte, or `None` if no opcode uses it.
    #[inline]
    pub fn from_byte(byte: u8) -> Option<&'static OpcodeInfo> {
        OPCODES.get(BY_BYTE[byte as usize] as usize)
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The highest protocol this crate reads and writes.
pub const HIGHEST_PROTOCOL: u8 = 5;

/// The protocol [`Pickler`](crate::Pickler) writes unless told otherwise (as CPython 3.14).
pub const DEFAULT_PROTOCOL: u8 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_all_68_opcodes_with_distinct_bytes_and_names() {
        assert_eq!(OPCODES.len(), 68);
        let mut bytes: Vec<u8> = OPCODES.iter().map(|o| o.byte).collect();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), 68);
        let mut names: Vec<&str> = OPCODES.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 68);
    }

    #[test]
    fn every_row_round_trips_through_its_byte() {
        for info in OPCODES {
            assert_eq!(info.opcode.byte(), info.byte);
            assert_eq!(Opcode::from_byte(info.byte), Some(info.opcode));
            assert_eq!(info.opcode.info(), info);
        }
        assert_eq!(Opcode::from_byte(0x00), None);
        assert_eq!(Opcode::from_byte(0xff), None);
    }

    #[test]
    fn spot_check_against_pickletools() {
        assert_eq!(Opcode::BinFloat.byte(), b'G');
        assert_eq!(Opcode::StackGlobal.info().proto, 4);
        assert_eq!(Opcode::ReadonlyBuffer.byte(), 0x98);
        assert_eq!(Opcode::Long4.info().arg, ArgKind::Long4);
        assert_eq!(Opcode::Frame.name(), "FRAME");
    }
}
