//! Numbers, strs, bytes and protocol 5 buffers.

use super::*;

impl<'o, 'a, 'de, R: Read<'de>> Vm<'o, 'a, 'de, R> {
    // -- Numbers ------------------------------------------------------------

    pub(super) fn load_int(&mut self) -> Result<()> {
        let value = pytext::decimalnl_short(&self.reader.read_line()?)?;
        match value {
            IntOrBool::Bool(b) => self.push_bool(b),
            IntOrBool::Int(n) => self.push_parsed_int(n),
        }
    }

    pub(super) fn load_long(&mut self) -> Result<()> {
        let n = pytext::decimalnl_long(&self.reader.read_line()?)?;
        self.push_parsed_int(n)
    }

    /// LONG1/LONG4: `n` bytes of little-endian two's complement.
    pub(super) fn load_counted_long(&mut self, n: u64) -> Result<()> {
        if n == 0 {
            return self.push_int(0);
        }
        self.check_declared(n)?;
        let value = BigInt::from_signed_bytes_le(&self.reader.read_bytes(n)?);
        self.push_bigint(value)
    }

    pub(super) fn load_float(&mut self) -> Result<()> {
        let x = text::parse_float(&self.reader.read_line()?)?;
        self.push_new(Object::Float(x))
    }

    // -- Strings and bytes --------------------------------------------------

    pub(super) fn load_binunicode(&mut self, n: u64) -> Result<()> {
        let s = cow_utf8(self.read_cow(n)?)?;
        let id = self.new_str(s)?;
        self.push(id)
    }

    pub(super) fn load_unicode(&mut self) -> Result<()> {
        let line = self.read_line_cow()?;
        let s = match text::decode_raw_unicode_escape(&line)? {
            // ASCII without escapes: the line is the text.
            None => cow_utf8(line)?,
            Some(decoded) => {
                self.budget.charge(decoded.len())?;
                Cow::Owned(decoded)
            }
        };
        let id = self.new_str(s)?;
        self.push(id)
    }

    pub(super) fn load_binbytes(&mut self, n: u64) -> Result<()> {
        let b = self.read_cow(n)?;
        // CPython allocates these bytes and then reads into them, so only the
        // empty one is its cached singleton; one byte is a fresh object here,
        // unlike the 1-byte bytes of `_codecs.encode` or of a Python 2 str.
        let id = if b.is_empty() {
            self.new_bytes(b)?
        } else {
            self.add(Object::Bytes(b))?
        };
        self.push(id)
    }

    pub(super) fn load_bytearray8(&mut self) -> Result<()> {
        let n = u64::from_le_bytes(self.read_array()?);
        let data = self.read_cow(n)?;
        self.push_new(Object::ByteArray(data))
    }

    pub(super) fn load_string(&mut self) -> Result<()> {
        let raw = match self.read_line_cow()? {
            Cow::Borrowed(line) => pytext::escape_decode(text::unquote(line)?)?,
            Cow::Owned(line) => {
                Cow::Owned(pytext::escape_decode(text::unquote(&line)?)?.into_owned())
            }
        };
        if let Cow::Owned(v) = &raw {
            self.budget.charge(v.len())?;
        }
        self.push_py2_str(raw)
    }

    pub(super) fn load_binstring(&mut self, n: u64) -> Result<()> {
        let raw = self.read_cow(n)?;
        self.push_py2_str(raw)
    }

    /// A Python 2 `str`, decoded by the `encoding` option.
    pub(super) fn push_py2_str(&mut self, raw: Cow<'de, [u8]>) -> Result<()> {
        let id = match self.opts.encoding {
            StringEncoding::Bytes => self.new_bytes(raw)?,
            StringEncoding::Ascii => {
                pytext::check_ascii(&raw)?;
                let s = cow_utf8(raw)?;
                self.new_str(s)?
            }
            StringEncoding::Utf8 => {
                let s = cow_utf8(raw)?;
                self.new_str(s)?
            }
            StringEncoding::Latin1 => {
                let s = if raw.is_ascii() {
                    cow_utf8(raw)?
                } else {
                    let s = pytext::latin1(&raw).into_owned();
                    self.budget.charge(s.len())?;
                    Cow::Owned(s)
                };
                self.new_str(s)?
            }
        };
        self.push(id)
    }

    // -- Protocol 5 buffers -------------------------------------------------

    pub(super) fn load_next_buffer(&mut self) -> Result<()> {
        let buffers = self.opts.buffers.as_mut().ok_or_else(|| {
            Error::new(
                ErrorKind::OutOfBandBuffer,
                "pickle stream refers to out-of-band data but no *buffers* argument was given",
            )
        })?;
        let buffer = buffers.next().ok_or_else(|| {
            Error::new(ErrorKind::OutOfBandBuffer, "not enough out-of-band buffers")
        })?;
        self.push_new(Object::Buffer(Box::new(buffer)))
    }

    /// READONLY_BUFFER: CPython takes a memoryview of the top item and makes it read-only.
    pub(super) fn load_readonly_buffer(&mut self) -> Result<()> {
        let top = self.top()?;
        let copy = match self.graph.objects_mut().get_mut(top.index()) {
            Some(Object::Buffer(buffer)) => {
                buffer.readonly = true;
                return Ok(());
            }
            // Already read-only; and objects the graph cannot see into are left alone.
            Some(Object::Bytes(_) | Object::Instance(_) | Object::PersistentId(_)) => return Ok(()),
            // A writable bytearray is replaced by a read-only view of it.
            Some(Object::ByteArray(data)) => data.clone(),
            other => {
                return Err(type_mismatch(format!(
                    "memoryview: a bytes-like object is required, not '{}'",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        };
        if let Cow::Owned(copy) = &copy {
            self.budget.charge(copy.len())?;
        }
        let view = self.add(Object::Buffer(Box::new(Buffer {
            data: copy,
            readonly: true,
        })))?;
        if let Some(slot) = self.stack.last_mut() {
            *slot = view;
        }
        Ok(())
    }
}
