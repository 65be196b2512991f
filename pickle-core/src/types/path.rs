//! `pathlib` paths ↔ [`PathBuf`] and [`Path`].
//!
//! CPython 3.11 writes a path as `REDUCE(pathlib.PosixPath, parts)`: the
//! anchor (`/`, or `//` for a path that starts with exactly two slashes),
//! then each name, with empty names and `.` left out. A `PathBuf` is
//! written as a `pathlib.PosixPath` (a `pathlib.WindowsPath` when compiled
//! for Windows), which is what `pathlib.Path(...)` makes.
//!
//! Loading accepts `PurePosixPath`, `PosixPath`, `PureWindowsPath`,
//! `WindowsPath` (and `Path`, `PurePath`), joining the parts as Python's
//! `str(path)` does, with `\` for the Windows flavours. An empty path loads
//! as `.`, as Python shows it. A path that is not UTF-8 cannot be written:
//! Python would hold it as a str with surrogate escapes.
//!
//! ```
//! use std::path::PathBuf;
//!
//! // pickle.dumps(pathlib.PosixPath('/a/b'), protocol=2)
//! let data = pickle_core::ser::to_vec(&PathBuf::from("/a/b"), 2)?;
//! assert_eq!(data, b"\x80\x02cpathlib\nPosixPath\nq\x00X\x01\x00\x00\x00/q\x01X\x01\x00\x00\x00aq\x02X\x01\x00\x00\x00bq\x03\x87q\x04Rq\x05.");
//! assert_eq!(pickle_core::loads::<PathBuf>(&data)?, PathBuf::from("/a/b"));
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};

use super::unpicklable;
use crate::de::{FromPickle, Node};
use crate::error::Result;
use crate::ser::{ToPickle, Writer};

#[cfg(not(windows))]
const CLASS: &str = "PosixPath";
#[cfg(windows)]
const CLASS: &str = "WindowsPath";

/// The parts `PurePosixPath.__reduce__` gives for `s`.
#[cfg(not(windows))]
fn parts(s: &str) -> Vec<&str> {
    let root = if s.starts_with("//") && !s.starts_with("///") {
        "//"
    } else if s.starts_with('/') {
        "/"
    } else {
        ""
    };
    let names = s.split('/').filter(|n| !n.is_empty() && *n != ".");
    (!root.is_empty())
        .then_some(root)
        .into_iter()
        .chain(names)
        .collect()
}

/// The parts `PureWindowsPath.__reduce__` gives for `s` (drive and root as one anchor).
#[cfg(windows)]
fn parts(s: &str) -> Vec<String> {
    use std::path::Component;
    let mut anchor = String::new();
    let mut out = Vec::new();
    for c in Path::new(s).components() {
        match c {
            Component::Prefix(p) => anchor.push_str(&p.as_os_str().to_string_lossy()),
            Component::RootDir => anchor.push('\\'),
            Component::CurDir => {}
            Component::ParentDir => out.push("..".to_owned()),
            Component::Normal(n) => out.push(n.to_string_lossy().into_owned()),
        }
    }
    if !anchor.is_empty() {
        out.insert(0, anchor);
    }
    out
}

impl ToPickle for Path {
    /// A `pathlib.PosixPath` (`pathlib.WindowsPath` on Windows).
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let s = self.to_str().ok_or_else(|| {
            unpicklable(format!(
                "the path {self:?} is not UTF-8, and a pathlib path holds a str"
            ))
        })?;
        let parts = parts(s);
        w.write_reduce("pathlib", CLASS, parts.len(), |w, i| {
            w.write_str(parts[i].as_ref())
        })
    }
}

impl ToPickle for PathBuf {
    /// A `pathlib.PosixPath` (`pathlib.WindowsPath` on Windows).
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        self.as_path().to_pickle(w)
    }
}

const POSIX: &[(&str, &str)] = &[
    ("pathlib", "PurePosixPath"),
    ("pathlib", "PosixPath"),
    ("pathlib", "Path"),
    ("pathlib", "PurePath"),
];
const WINDOWS: &[(&str, &str)] = &[("pathlib", "PureWindowsPath"), ("pathlib", "WindowsPath")];

impl<'de> FromPickle<'de> for PathBuf {
    /// Any `pathlib` path, as `str(path)`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let all: Vec<(&str, &str)> = POSIX.iter().chain(WINDOWS).copied().collect();
        let obj = node.expect_instance(&all)?;
        let mut parts = Vec::with_capacity(obj.args().len());
        for (i, arg) in obj.args().enumerate() {
            let part = arg
                .as_str()
                .ok_or_else(|| arg.type_error("str").in_index(i))?;
            parts.push(part);
        }
        if parts.is_empty() {
            return Ok(PathBuf::from("."));
        }
        if WINDOWS.contains(&obj.class()) {
            // The anchor ('c:\', '\\host\share\', 'c:') takes no separator after it.
            let first = parts[0];
            let anchored = first.ends_with('\\') || (first.len() == 2 && first.ends_with(':'));
            let s = if anchored {
                format!("{first}{}", parts[1..].join("\\"))
            } else {
                parts.join("\\")
            };
            return Ok(PathBuf::from(s));
        }
        let mut path = PathBuf::new();
        for part in parts {
            // A part that is an anchor replaces the path so far, as in pathlib.
            path.push(part);
        }
        Ok(path)
    }
}
