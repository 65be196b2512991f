//! Crash-safe saving to a file: [`save`], [`save_with`].
//!
//! A save never leaves the target half-written: the pickle is written to a
//! new temporary file in the same directory, flushed to disk, and renamed
//! over the target in one step, so a reader (or the next start after a
//! crash, a kill or a power cut) finds either the old file or the new one,
//! complete.
//!
//! 1. the temporary file is created next to the target (same directory, so
//!    the same filesystem, so the rename is atomic), with a name no other
//!    save uses: `.{name}.{pid}.{n}.pickle-tmp`;
//! 2. the pickle is written to it and, with [`SaveOptions::fsync`] (the
//!    default), `fsync`ed, so its bytes are on disk before its name is;
//! 3. it is renamed over the target (`rename(2)`: atomic on POSIX; on
//!    Windows `MoveFileEx` with `MOVEFILE_REPLACE_EXISTING`);
//! 4. with `fsync`, on Unix, the directory is `fsync`ed, so the rename
//!    itself survives a power cut.
//!
//! If writing fails (an unpicklable value, a full disk) the temporary file
//! is removed and the target is untouched. A process killed between steps
//! 1 and 3 leaves its temporary file behind; the target is still the old
//! file. [`remove_temp_files`] deletes such leftovers for one target (call
//! it when no other save of that target can be running, such as at start-up).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::ser::ToPickle;
use crate::{Pickler, DEFAULT_PROTOCOL};

/// How [`save_with`] writes.
///
/// ```
/// let mut options = pickle_core::SaveOptions::default();
/// options.protocol = 2;
/// options.fsync = false; // faster, not durable across power cuts
/// # let dir = std::env::temp_dir().join(format!("pickle-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("options.pkl");
/// pickle_core::save_with(&path, &vec![1, 2], &options)?;
/// assert_eq!(std::fs::read(&path)?, b"\x80\x02]q\x00(K\x01K\x02e.");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaveOptions {
    /// The pickle protocol. Default: [`DEFAULT_PROTOCOL`] (5).
    pub protocol: u8,
    /// Whether to `fsync` the file before the rename and the directory after
    /// it. Default: true. Without it a save is still atomic against crashes
    /// of the process (the target is the old or the new file), but not
    /// against a power cut or an OS crash.
    pub fsync: bool,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            protocol: DEFAULT_PROTOCOL,
            fsync: true,
        }
    }
}

/// Writes `value` as a pickle to the file at `path`, replacing it atomically:
/// whatever happens, `path` holds either its previous contents or the whole
/// new pickle. With the default [`SaveOptions`] (protocol 5, `fsync`).
///
/// See [the module docs](crate::file) for how, and for the temporary files
/// a killed process may leave behind.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pickle-doc-save-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("state.pkl");
/// pickle_core::save(&path, &vec![1u8, 2, 3])?;
/// let back: Vec<u8> = pickle_core::loads(&std::fs::read(&path)?)?;
/// assert_eq!(back, [1, 2, 3]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn save<T: ToPickle + ?Sized>(path: impl AsRef<Path>, value: &T) -> Result<()> {
    save_with(path, value, &SaveOptions::default())
}

/// [`save`] with options.
pub fn save_with<T: ToPickle + ?Sized>(
    path: impl AsRef<Path>,
    value: &T,
    options: &SaveOptions,
) -> Result<()> {
    let path = path.as_ref();
    let (dir, name) = split(path)?;
    let (tmp_path, file) = create_temp(&dir, &name)?;
    let written = write_temp(file, path, value, options);
    let renamed = written.and_then(|()| fs::rename(&tmp_path, path).map_err(Error::from));
    if let Err(e) = renamed {
        let _ = fs::remove_file(&tmp_path);
        return Err(e);
    }
    if options.fsync {
        sync_dir(&dir)?;
    }
    Ok(())
}

/// Removes the temporary files that saves of `path` left behind when their
/// process was killed, and returns how many it removed.
///
/// Only call it when no save of `path` is in progress: it would remove that
/// save's temporary file too, and the save would then fail (the target stays intact).
pub fn remove_temp_files(path: impl AsRef<Path>) -> Result<usize> {
    let (dir, name) = split(path.as_ref())?;
    let prefix = format!(".{name}.");
    let mut removed = 0;
    for entry in fs::read_dir(&dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if file_name.starts_with(&prefix) && file_name.ends_with(TEMP_SUFFIX) {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(removed)
}

const TEMP_SUFFIX: &str = ".pickle-tmp";

/// The directory and file name of `path`.
fn split(path: &Path) -> Result<(PathBuf, String)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            Error::from(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot save to {}: not a UTF-8 file name", path.display()),
            ))
        })?
        .to_owned();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// Creates a new temporary file next to the target, with a name no other save uses.
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let pid = std::process::id();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{pid}.{n}{TEMP_SUFFIX}"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            // Left by a killed process that had the same pid: try the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn write_temp<T: ToPickle + ?Sized>(
    file: File,
    target: &Path,
    value: &T,
    options: &SaveOptions,
) -> Result<()> {
    // Keep the permissions of the file being replaced.
    if let Ok(meta) = fs::metadata(target) {
        let _ = file.set_permissions(meta.permissions());
    }
    let mut out = BufWriter::new(file);
    Pickler::new()
        .protocol(options.protocol)
        .dump(value, &mut out)?;
    out.flush()?;
    let file = out.into_inner().map_err(|e| Error::from(e.into_error()))?;
    if options.fsync {
        file.sync_all()?;
    }
    Ok(())
}

/// Makes the directory entry (the rename) durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    // Windows cannot open a directory as a file; MoveFileEx is durable enough.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pickle-file-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn save_replaces_and_leaves_no_temp_file() {
        let dir = temp_dir("replace");
        let path = dir.join("a.pkl");
        save(&path, &vec![1i64, 2]).unwrap();
        save(&path, "new").unwrap();
        assert_eq!(
            crate::loads::<String>(&fs::read(&path).unwrap()).unwrap(),
            "new"
        );
        assert_eq!(listing(&dir), ["a.pkl"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_save_keeps_the_old_file_and_removes_its_temp() {
        let dir = temp_dir("fail");
        let path = dir.join("a.pkl");
        save(&path, &7i64).unwrap();
        let before = fs::read(&path).unwrap();
        // A graph without a root cannot be written: refused mid-save.
        let e = save(&path, &crate::Value::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unpicklable);
        assert_eq!(fs::read(&path).unwrap(), before);
        assert_eq!(listing(&dir), ["a.pkl"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn leftover_temp_files_are_removed_for_their_target_only() {
        let dir = temp_dir("cleanup");
        let path = dir.join("a.pkl");
        fs::write(dir.join(".a.pkl.1.0.pickle-tmp"), b"partial").unwrap();
        fs::write(dir.join(".a.pkl.2.5.pickle-tmp"), b"partial").unwrap();
        fs::write(dir.join(".b.pkl.1.0.pickle-tmp"), b"other").unwrap();
        save(&path, &1i64).unwrap();
        assert_eq!(remove_temp_files(&path).unwrap(), 2);
        assert_eq!(listing(&dir), [".b.pkl.1.0.pickle-tmp", "a.pkl"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bare_file_name_saves_in_the_current_directory() {
        assert_eq!(split(Path::new("x.pkl")).unwrap().0, PathBuf::from("."));
    }
}
