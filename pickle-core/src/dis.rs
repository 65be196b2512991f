//! The disassembler: a pickle as a listing of opcodes, exactly as
//! `python3 -m pickletools FILE` prints it.
//!
//! [`genops()`] walks a pickle and yields each opcode with its decoded
//! argument, reading arguments by the opcode table alone. [`dis`] prints
//! those opcodes the way `pickletools.dis` does, and, like it, emulates the
//! stack, the marks and the memo to check that the pickle makes sense.
//!
//! ```
//! // pickle.dumps([1, 'a'], protocol=2)
//! let data = b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.";
//! let mut out = Vec::new();
//! pickle_core::dis::dis(data, &mut out)?;
//! assert_eq!(String::from_utf8(out).unwrap(), "\
//! \x20   0: \\x80 PROTO      2
//! \x20   2: ]    EMPTY_LIST
//! \x20   3: q    BINPUT     0
//! \x20   5: (    MARK
//! \x20   6: K        BININT1    1
//! \x20   8: X        BINUNICODE 'a'
//! \x20  14: q        BINPUT     1
//! \x20  16: e        APPENDS    (MARK at 5)
//! \x20  17: .    STOP
//! highest protocol among opcodes = 2
//! ");
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

use num_bigint::BigInt;

use crate::error::{Error, ErrorKind, Result};
use crate::opcode::{Opcode, StackItem};

mod genops;
mod text;

#[cfg(test)]
mod tests;

pub use genops::{genops, Arg, Op, Ops};

/// Blanks added per open MARK, as `pickletools.dis(indentlevel=4)`.
const INDENT: usize = 4;

/// Listing text is handed to the writer in chunks of about this size.
const CHUNK: usize = 64 * 1024;

/// A memo key: a Python int, normalized so that equal ints are equal keys.
#[derive(Clone, PartialEq, Eq, Hash)]
enum MemoKey {
    Small(i64),
    Big(BigInt),
}

impl MemoKey {
    fn of(arg: &Arg<'_>) -> MemoKey {
        match arg {
            Arg::Int(n) => MemoKey::Small(*n),
            Arg::Bool(b) => MemoKey::Small(i64::from(*b)),
            Arg::BigInt(n) => MemoKey::Big(n.clone()),
            // The table gives memo opcodes int arguments only.
            _ => MemoKey::Small(-1),
        }
    }
}

/// Starts a line as pickletools does: `print("%5d:" % pos, end=' ')`.
fn write_offset(text: &mut String, offset: usize) {
    let _ = write!(text, "{offset:5}: ");
}

/// The writer, and the text not yet handed to it.
struct Listing<'w, W: io::Write + ?Sized> {
    out: &'w mut W,
    text: String,
}

impl<W: io::Write + ?Sized> Listing<'_, W> {
    fn maybe_flush(&mut self) -> Result<()> {
        if self.text.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.out.write_all(self.text.as_bytes())?;
        self.text.clear();
        Ok(())
    }
}

/// Writes the disassembly of the pickle at the start of `data` to `out`,
/// byte for byte as `python3 -m pickletools FILE` prints it (that is,
/// `pickletools.dis` with its defaults: indent 4, no annotations, a fresh memo).
///
/// Returns the length of the pickle, through its STOP opcode; bytes after it
/// are not read.
///
/// Like `pickletools`, this checks the pickle as it goes: every argument
/// must decode, every opcode must find the items and the mark it pops, memo
/// keys must be stored before they are fetched and stored only once, and the
/// stack must be empty after STOP. When a check fails, `out` has received
/// exactly the lines `pickletools` prints before it raises, and the
/// [`Error`] names the offset and opcode.
///
/// ```
/// // A truncated pickle: BINUNICODE promises 5 bytes and 2 remain.
/// let mut out = Vec::new();
/// let err = pickle_core::dis::dis(b"\x80\x03X\x05\x00\x00\x00ab", &mut out).unwrap_err();
/// assert_eq!(out, b"    0: \\x80 PROTO      3\n");
/// assert_eq!(err.offset(), Some(2));
/// assert_eq!(err.opcode(), Some(pickle_core::Opcode::BinUnicode));
/// ```
pub fn dis<W: io::Write + ?Sized>(data: &[u8], out: &mut W) -> Result<usize> {
    let mut listing = Listing {
        out,
        text: String::new(),
    };
    let result = disassemble(data, &mut listing);
    // What was printed before an error is part of the output, as in pickletools.
    listing.flush()?;
    result
}

fn disassemble<W: io::Write + ?Sized>(data: &[u8], listing: &mut Listing<'_, W>) -> Result<usize> {
    // A crude model of the unpickler's stack: the kind of each item, marks included.
    let mut stack: Vec<StackItem> = Vec::new();
    // The offsets of the MARKs still open, which set the indentation.
    let mut marks: Vec<usize> = Vec::new();
    let mut memo: HashMap<MemoKey, StackItem> = HashMap::new();
    let mut highest_protocol = 0u8;
    let mut arg_text = String::new();
    let mut end = 0;

    for op in genops(data) {
        let op = op?;
        let info = op.info;
        let fail = |kind: ErrorKind, message: String| {
            Error::new(kind, message).at(op.offset as u64, Some(info.opcode))
        };
        highest_protocol = highest_protocol.max(info.proto);
        end = op.end;

        let before = info.stack_before;
        let mut after = info.stack_after;
        let mut to_pop = before.len();
        let mut note: Option<String> = None;
        let mut error: Option<(ErrorKind, String)> = None;

        // An opcode that needs a mark, or a POP that finds one, closes the topmost MARK.
        let mark_index = before.iter().position(|&item| item == StackItem::Mark);
        let closes_mark = mark_index.is_some()
            || (info.opcode == Opcode::Pop && stack.last() == Some(&StackItem::Mark));
        let indent = marks.len() * INDENT;
        if closes_mark {
            if let Some(mark_offset) = marks.pop() {
                note = Some(format!("(MARK at {mark_offset})"));
                // Everything above the mark goes with it. The mark itself may
                // be gone already, taken as an item by an opcode that does
                // not know marks (pickletools then fails with an IndexError).
                loop {
                    match stack.pop() {
                        Some(StackItem::Mark) => break,
                        Some(_) => {}
                        None => {
                            write_offset(&mut listing.text, op.offset);
                            return Err(fail(
                                ErrorKind::MissingMark,
                                "no MARK exists on stack: it was popped as an item".into(),
                            ));
                        }
                    }
                }
                to_pop = mark_index.unwrap_or(0);
            } else {
                let message = "no MARK exists on stack".to_string();
                note = Some(message.clone());
                error = Some((ErrorKind::MissingMark, message));
            }
        }

        arg_text.clear();
        let has_arg = !matches!(op.arg, Arg::None);
        if has_arg {
            if let Arg::BigInt(n) = &op.arg {
                if text::int_repr_too_long(n) {
                    // pickletools has printed the offset when repr() raises.
                    write_offset(&mut listing.text, op.offset);
                    return Err(text::int_repr_error().at(op.offset as u64, Some(info.opcode)));
                }
            }
            op.arg.write_repr(&mut arg_text);
        }

        match info.opcode {
            Opcode::Put | Opcode::BinPut | Opcode::LongBinPut | Opcode::Memoize => {
                let key = if info.opcode == Opcode::Memoize {
                    note = Some(format!("(as {})", memo.len()));
                    MemoKey::Small(memo.len() as i64)
                } else {
                    MemoKey::of(&op.arg)
                };
                match memo.entry(key) {
                    Entry::Occupied(_) => {
                        let shown = if has_arg { arg_text.as_str() } else { "None" };
                        error = Some((
                            ErrorKind::InvalidArgument,
                            format!("memo key {shown} already defined"),
                        ));
                    }
                    Entry::Vacant(slot) => match stack.last() {
                        None => {
                            error = Some((
                                ErrorKind::StackUnderflow,
                                "stack is empty -- can't store into memo".into(),
                            ))
                        }
                        Some(StackItem::Mark) => {
                            error = Some((
                                ErrorKind::StackUnderflow,
                                "can't store markobject in the memo".into(),
                            ))
                        }
                        Some(&top) => {
                            slot.insert(top);
                        }
                    },
                }
            }
            Opcode::Get | Opcode::BinGet | Opcode::LongBinGet => {
                match memo.get(&MemoKey::of(&op.arg)) {
                    // Push what was stored, for a better model of the stack.
                    Some(item) => after = std::slice::from_ref(item),
                    None => {
                        error = Some((
                            ErrorKind::MissingMemo,
                            format!("memo key {arg_text} has never been stored into"),
                        ))
                    }
                }
            }
            _ => {}
        }

        let line = &mut listing.text;
        write_offset(line, op.offset);
        // The opcode's byte as Python's repr of a one-character str, padded to 4.
        let _ = match info.byte {
            b @ 0x20..=0x7e => write!(line, "{:<4} ", b as char),
            b => write!(line, "\\x{b:02x} "),
        };
        line.extend(std::iter::repeat_n(' ', indent));
        line.push_str(info.name);
        if has_arg || note.is_some() {
            // pickletools' "mild effort to align arguments".
            line.extend(std::iter::repeat_n(
                ' ',
                10usize.saturating_sub(info.name.len()),
            ));
            if has_arg {
                line.push(' ');
                line.push_str(&arg_text);
            }
            if let Some(note) = &note {
                line.push(' ');
                line.push_str(note);
            }
        }
        line.push('\n');

        if let Some((kind, message)) = error {
            return Err(fail(kind, message));
        }
        if stack.len() < to_pop {
            return Err(fail(
                ErrorKind::StackUnderflow,
                format!(
                    "tries to pop {to_pop} items from stack with only {} items",
                    stack.len()
                ),
            ));
        }
        stack.truncate(stack.len() - to_pop);
        if after.contains(&StackItem::Mark) {
            marks.push(op.offset);
        }
        stack.extend_from_slice(after);
        listing.maybe_flush()?;

        if info.opcode == Opcode::Stop {
            let _ = writeln!(
                listing.text,
                "highest protocol among opcodes = {highest_protocol}"
            );
            if !stack.is_empty() {
                let items: Vec<&str> = stack.iter().map(|item| item.name()).collect();
                return Err(fail(
                    ErrorKind::StackUnderflow,
                    format!("stack not empty after STOP: [{}]", items.join(", ")),
                ));
            }
        }
    }
    Ok(end)
}
