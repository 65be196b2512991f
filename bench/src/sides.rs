//! One function per side: how each side loads, dumps and streams a workload.

use std::borrow::Cow;
use std::fs::File;
use std::time::Instant;

use pickle::de::FromPickle;
use pickle::numpy::ndarray::{Array1, ArrayView1};
use pickle::numpy::Numpy2;
use pickle::value::Buffer;
use pickle::{Pickler, Unpickler, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use indexmap::IndexMap;

use crate::workloads::{Document, Record};
use crate::{alloc, time, Args, Report};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Runs the measurement `args` names.
pub fn measure(args: &Args) -> Result<Report, String> {
    match args.side.as_str() {
        "typed" => typed(args),
        "value" => value(args),
        "serde-pickle" => serde(args),
        "memcpy" => memcpy(args),
        side => Err(format!("unknown side {side}")),
    }
}

fn unsupported(args: &Args) -> String {
    format!(
        "{} does not measure {} on {}",
        args.side, args.op, args.workload
    )
}

/// Protocol 5, as every side writes (serde-pickle can only write 3).
fn p5() -> Pickler<'static> {
    Pickler::new().protocol(5)
}

/// The typed API: `pickle::loads::<T>` and `dumps` of a Rust type.
fn typed(args: &Args) -> Result<Report, String> {
    match args.workload.as_str() {
        "a" => typed_as::<Vec<i64>>(args, |v| p5().dumps(v)),
        "b" => typed_as::<Vec<Record>>(args, |v| p5().dumps(v)),
        "c" => typed_as::<IndexMap<String, f64>>(args, |v| p5().dumps(v)),
        "d" => typed_as::<Vec<String>>(args, |v| p5().dumps(v)),
        "e_inband" => typed_as::<Array1<f64>>(args, |v| p5().dumps(&Numpy2(v))),
        "e_oob" | "e_oob_small" => typed_oob(args),
        "f" => typed_as::<Document>(args, |v| p5().dumps(v)),
        w => Err(format!("unknown workload {w}")),
    }
}

fn typed_as<T: for<'de> FromPickle<'de>>(
    args: &Args,
    write: impl Fn(&T) -> pickle::Result<Vec<u8>>,
) -> Result<Report, String> {
    if args.op == "stream" {
        return stream::<T>(args);
    }
    let data = args.read("pkl")?;
    load_or_dump(
        args,
        data.len(),
        || pickle::loads::<T>(&data).map_err(err),
        write,
    )
}

/// `loads` times `load`; `dumps` loads once, then times `write` of what it loaded.
fn load_or_dump<T, E: std::fmt::Display>(
    args: &Args,
    size: usize,
    load: impl Fn() -> Result<T, String>,
    write: impl Fn(&T) -> Result<Vec<u8>, E>,
) -> Result<Report, String> {
    match args.op.as_str() {
        "loads" => Ok(Report {
            times: time(args.runs, load)?,
            size,
            ..Report::default()
        }),
        "dumps" => {
            let v = load()?;
            dumps(args, || write(&v))
        }
        _ => Err(unsupported(args)),
    }
}

/// Times `write`, reporting the size of what it wrote.
fn dumps<E: std::fmt::Display>(
    args: &Args,
    write: impl Fn() -> Result<Vec<u8>, E>,
) -> Result<Report, String> {
    let mut size = 0;
    let times = time(args.runs, || {
        let out = write().map_err(err)?;
        size = out.len();
        Ok(out)
    })?;
    Ok(Report {
        times,
        size,
        ..Report::default()
    })
}

/// Loads a file through `pickle::load_seekable` (a window of the file,
/// never the whole of it), counting the heap: the peak while loading
/// against what the loaded value keeps.
fn stream<T: FromPickle<'static>>(args: &Args) -> Result<Report, String> {
    let path = args.file("pkl");
    let size = std::fs::metadata(&path).map_err(err)?.len() as usize;
    let file = File::open(&path).map_err(err)?;
    alloc::start();
    let start = Instant::now();
    let value: T = pickle::load_seekable(file).map_err(err)?;
    let elapsed = start.elapsed().as_secs_f64();
    let (final_heap, peak_heap) = (alloc::live(), alloc::peak());
    drop(value);
    let mut report = Report {
        times: vec![elapsed],
        size,
        ..Report::default()
    };
    report.extra.insert("final_heap".into(), json!(final_heap));
    report.extra.insert("peak_heap".into(), json!(peak_heap));
    Ok(report)
}

/// The out-of-band buffer of an `e_oob*` workload.
fn oob_buffer(args: &Args) -> Result<Vec<u8>, String> {
    args.read("buf")
}

fn buffers(buf: &[u8]) -> [Buffer<'_>; 1] {
    [Buffer {
        data: Cow::Borrowed(buf),
        readonly: false,
    }]
}

/// Out-of-band numpy: loads borrow the buffer (`ArrayView1`), dumps hand it
/// to the buffer callback without a copy.
fn typed_oob(args: &Args) -> Result<Report, String> {
    let (data, buf) = (args.read("pkl")?, oob_buffer(args)?);
    let load = || {
        Unpickler::new()
            .buffers(buffers(&buf))
            .loads::<ArrayView1<'_, f64>>(&data)
            .map_err(err)
    };
    load_or_dump(args, data.len(), load, |view| {
        Pickler::new()
            .protocol(5)
            .buffer_callback(|_| false)
            .dumps(&Numpy2(view))
    })
}

/// The dynamic API: the object graph, `pickle::loads::<Value>`.
fn value(args: &Args) -> Result<Report, String> {
    let data = args.read("pkl")?;
    let oob = args.workload.starts_with("e_oob");
    let buf = if oob { oob_buffer(args)? } else { Vec::new() };
    let load = || {
        let mut unpickler = Unpickler::new();
        if oob {
            unpickler = unpickler.buffers(buffers(&buf));
        }
        unpickler.loads::<Value>(&data).map_err(err)
    };
    match args.op.as_str() {
        "loads" | "dumps" => load_or_dump(args, data.len(), load, |v| {
            Pickler::new()
                .protocol(5)
                .buffer_callback(|_| !oob)
                .dumps(v)
        }),
        "stream" if !oob => stream::<Value<'static>>(args),
        "memory" => {
            // What the graph itself holds: owned strings, as CPython's objects own theirs.
            alloc::start();
            let v: Value<'static> = pickle::load(&data[..]).map_err(err)?;
            let live = alloc::live();
            drop(v);
            let mut report = Report {
                size: data.len(),
                ..Report::default()
            };
            report.extra.insert("live_bytes".into(), json!(live));
            Ok(report)
        }
        _ => Err(unsupported(args)),
    }
}

/// serde-pickle, where its data model can express the workload.
fn serde(args: &Args) -> Result<Report, String> {
    match args.workload.as_str() {
        "a" => serde_as::<Vec<i64>>(args),
        "c" => serde_as::<IndexMap<String, f64>>(args),
        "d" => serde_as::<Vec<String>>(args),
        "f" => serde_as::<Document>(args),
        _ => Err(unsupported(args)),
    }
}

fn serde_as<T: DeserializeOwned + Serialize>(args: &Args) -> Result<Report, String> {
    let data = args.read("pkl")?;
    let load = || serde_pickle::from_slice::<T>(&data, serde_pickle::DeOptions::new()).map_err(err);
    load_or_dump(args, data.len(), load, |v| {
        serde_pickle::to_vec(v, serde_pickle::SerOptions::new())
    })
}

/// The machine's memcpy bandwidth on the size of (e): 100 MiB copied into
/// a buffer already faulted in (`times`), and into a fresh allocation
/// (`times_fresh`, what a load that allocates its result pays).
fn memcpy(args: &Args) -> Result<Report, String> {
    const SIZE: usize = 100 << 20;
    let src: Vec<u8> = (0..SIZE).map(|i| i as u8).collect();
    let mut dst = vec![0u8; SIZE];
    dst.copy_from_slice(&src);
    let times = time(args.runs, || {
        dst.copy_from_slice(std::hint::black_box(&src));
        Ok(())
    })?;
    let fresh = time(args.runs, || Ok(std::hint::black_box(&src).to_vec()))?;
    let mut report = Report {
        times,
        size: SIZE,
        ..Report::default()
    };
    report.extra.insert("times_fresh".into(), json!(fresh));
    Ok(report)
}
