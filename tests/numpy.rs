//! numpy interop, both directions, against live numpy: `PICKLE_PYTHON`
//! (default `python3`; it must have numpy, else these tests fail) and, when
//! `PICKLE_PYTHON_NUMPY1` names one, a numpy 1.26 interpreter too.
//!
//! Every array is made the same way on both sides: tests/python/numpy_interop.py's
//! `expected(dtype, shape, order)`, mirrored here by [`expected`].

#![cfg(feature = "numpy")]

mod common;

use indexmap::IndexMap;
use pickle::numpy::half::f16;
use pickle::numpy::ndarray::{Array1, ArrayD, ArrayViewD, CowArray, IxDyn};
use pickle::numpy::num_complex::Complex;
use pickle::numpy::{Dtype, Element, Numpy2, NumpyScalar, OpaqueArray, OpaqueData};
use std::io::Cursor;

use pickle::de::direct;
use pickle::value::Buffer;
use pickle::{Limits, Pickler, Unpickler, Value};
use serde_json::{json, Value as Json};

const SCRIPT: &str = "tests/python/numpy_interop.py";
const SHAPES: &[&[usize]] = &[&[], &[0], &[5], &[2, 3], &[2, 3, 4]];

// ---- the interpreters --------------------------------------------------------

struct Py {
    program: String,
    major: u32,
}

impl Py {
    fn ask(&self, request: &Json) -> Json {
        let input = serde_json::to_vec(request).unwrap();
        let out = common::run_python_with(&self.program, "numpy_interop.py", input);
        assert!(
            out.status.success(),
            "{} {SCRIPT} failed (does it have numpy?):\n{}",
            self.program,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("the script answers JSON")
    }

    fn new(program: String) -> Py {
        let mut py = Py { program, major: 0 };
        let version = py.ask(&json!({"cmd": "version"}));
        let version = version["numpy"].as_str().unwrap().to_owned();
        py.major = version.split('.').next().unwrap().parse().unwrap();
        println!("{}: numpy {version}", py.program);
        py
    }
}

/// numpy from `PICKLE_PYTHON`, then numpy 1.26 from `PICKLE_PYTHON_NUMPY1` if set.
fn interpreters() -> Vec<Py> {
    let mut all = vec![Py::new(
        std::env::var("PICKLE_PYTHON").unwrap_or_else(|_| "python3".into()),
    )];
    match std::env::var("PICKLE_PYTHON_NUMPY1") {
        Ok(program) if !program.is_empty() => all.push(Py::new(program)),
        _ => println!("numpy 1.26 checks skipped: PICKLE_PYTHON_NUMPY1 is not set"),
    }
    all
}

// ---- the arrays ----------------------------------------------------------------

trait Sample: Element + PartialEq {
    fn sample(i: usize) -> Self;
}

impl Sample for bool {
    fn sample(i: usize) -> Self {
        i % 3 == 1
    }
}

macro_rules! int_sample {
    ($($t:ty)*) => {$(impl Sample for $t {
        fn sample(i: usize) -> Self { ((i * 7 + 1) % 100) as $t }
    })*};
}
int_sample!(i8 i16 i32 i64 u8 u16 u32 u64);

impl Sample for f16 {
    fn sample(i: usize) -> Self {
        f16::from_f64(i as f64 * 0.5 - 1.0)
    }
}
impl Sample for f32 {
    fn sample(i: usize) -> Self {
        i as f32 * 0.5 - 1.0
    }
}
impl Sample for f64 {
    fn sample(i: usize) -> Self {
        i as f64 * 0.5 - 1.0
    }
}
impl Sample for Complex<f32> {
    fn sample(i: usize) -> Self {
        Complex::new(i as f32 * 0.5 - 1.0, i as f32 + 2.0)
    }
}
impl Sample for Complex<f64> {
    fn sample(i: usize) -> Self {
        Complex::new(i as f64 * 0.5 - 1.0, i as f64 + 2.0)
    }
}

/// Element `i` in C order is `T::sample(i)`; Fortran order has the same
/// elements, laid out in Fortran order.
fn expected<T: Sample>(shape: &[usize], fortran: bool) -> ArrayD<T> {
    let n: usize = shape.iter().product();
    let c = ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(T::sample).collect()).unwrap();
    if fortran {
        let f = c.t().as_standard_layout().into_owned().reversed_axes();
        assert!(shape.len() < 2 || n == 0 || !f.is_standard_layout());
        f
    } else {
        c
    }
}

/// Runs `$f::<T>($args)` for the element type whose dtype str is `$dtype`,
/// or for each element type.
macro_rules! each_dtype {
    ($f:ident($($args:expr),*)) => {{
        let mut all = Vec::new();
        all.extend($f::<bool>($($args),*));
        all.extend($f::<i8>($($args),*));
        all.extend($f::<i16>($($args),*));
        all.extend($f::<i32>($($args),*));
        all.extend($f::<i64>($($args),*));
        all.extend($f::<u8>($($args),*));
        all.extend($f::<u16>($($args),*));
        all.extend($f::<u32>($($args),*));
        all.extend($f::<u64>($($args),*));
        all.extend($f::<f16>($($args),*));
        all.extend($f::<f32>($($args),*));
        all.extend($f::<f64>($($args),*));
        all.extend($f::<Complex<f32>>($($args),*));
        all.extend($f::<Complex<f64>>($($args),*));
        all
    }};
}

fn cases<T: Sample>() -> Vec<Json> {
    let dtype = Dtype::of::<T>().str();
    let mut all = Vec::new();
    for shape in SHAPES {
        for order in ["C", "F"] {
            all.push(json!({"dtype": dtype, "shape": shape, "order": order}));
        }
    }
    all
}

fn case_parts(case: &Json) -> (String, Vec<usize>, bool) {
    let shape = case["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    (
        case["dtype"].as_str().unwrap().to_owned(),
        shape,
        case["order"] == "F",
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn report(what: &str, failures: Vec<String>, checked: usize) {
    println!("{what}: {checked} checked, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{what}: {} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---- Rust writes, numpy loads ----------------------------------------------------

/// Every pickle Rust writes of one dtype's arrays that `py` can load, as check requests.
fn rust_pickles<T: Sample>(py_major: u32) -> Vec<Json> {
    let mut all = Vec::new();
    for case in cases::<T>() {
        let (_, shape, fortran) = case_parts(&case);
        let a = expected::<T>(&shape, fortran);
        let with = |label: String, bytes: Vec<u8>, buffers: Vec<Vec<u8>>, warns: bool| {
            let mut c = case.clone();
            c["label"] = json!(label);
            c["hex"] = json!(hex(&bytes));
            c["buffers"] = json!(buffers.iter().map(|b| hex(b)).collect::<Vec<_>>());
            c["warns"] = json!(warns);
            c
        };
        for p in 0..=5 {
            all.push(with(
                format!("portable p{p}"),
                pickle::ser::to_vec(&a, p).unwrap(),
                vec![],
                false,
            ));
            // numpy 1.26 has no numpy._core.numeric for numpy 2's protocol-5 form.
            if p < 5 || py_major >= 2 {
                all.push(with(
                    format!("numpy2 p{p}"),
                    pickle::ser::to_vec(&Numpy2(&a), p).unwrap(),
                    vec![],
                    false,
                ));
            }
        }
        // Out-of-band: numpy 1.26's numpy.core.numeric._frombuffer, which numpy 2 loads with a warning.
        let mut buffers = Vec::new();
        let bytes = Pickler::new()
            .buffer_callback(|b| {
                buffers.push(b.data.to_vec());
                false
            })
            .dumps(&a)
            .unwrap();
        all.push(with(
            "portable out-of-band".into(),
            bytes,
            buffers,
            py_major >= 2,
        ));
        if py_major >= 2 {
            let mut buffers = Vec::new();
            let bytes = Pickler::new()
                .buffer_callback(|b| {
                    buffers.push(b.data.to_vec());
                    false
                })
                .dumps(&Numpy2(&a))
                .unwrap();
            all.push(with("numpy2 out-of-band".into(), bytes, buffers, false));
        }
    }
    all
}

#[test]
fn rust_arrays_load_in_numpy_with_their_dtype_values_and_order() {
    for py in interpreters() {
        let requests = each_dtype!(rust_pickles(py.major));
        let answers = py.ask(&json!({"cmd": "check", "cases": requests}));
        let failures = requests
            .iter()
            .zip(answers.as_array().unwrap())
            .filter(|(_, a)| *a != "ok")
            .map(|(c, a)| {
                format!(
                    "{} {:?} {} {}: {a}",
                    c["dtype"], c["shape"], c["order"], c["label"]
                )
            })
            .collect();
        report(
            &format!("numpy {} loads Rust's arrays", py.major),
            failures,
            requests.len(),
        );
    }
}

// ---- numpy writes, Rust loads; and the bytes compared -------------------------------

/// Loads `bytes` as an owned array, a CowArray and a Value, and compares with `want`.
fn load_checks<T: Sample>(
    bytes: &[u8],
    buffers: &[Vec<u8>],
    want: &ArrayD<T>,
) -> Result<(), String> {
    let unpickler = || {
        Unpickler::new().buffers(buffers.iter().map(|b| Buffer {
            data: b.as_slice().into(),
            readonly: false,
        }))
    };
    let a: ArrayD<T> = unpickler().loads(bytes).map_err(|e| e.to_string())?;
    if a != want {
        return Err(format!("loaded {a:?}, want {want:?}"));
    }
    let fortran_only = |x: &ArrayD<T>| !x.is_standard_layout() && x.t().is_standard_layout();
    if fortran_only(&a) != fortran_only(want) {
        return Err(format!(
            "layout: loaded strides {:?}, want {:?}",
            a.strides(),
            want.strides()
        ));
    }
    let c: CowArray<T, IxDyn> = unpickler().loads(bytes).map_err(|e| e.to_string())?;
    if c != want {
        return Err(format!("CowArray loaded {c:?}"));
    }
    let v: Value = unpickler().loads(bytes).map_err(|e| e.to_string())?;
    let redump = Pickler::new().protocol(
        bytes
            .get(1)
            .copied()
            .filter(|_| bytes[0] == 0x80)
            .unwrap_or(0),
    );
    let _ = redump;
    let again: ArrayD<T> = v.root_node().extract().map_err(|e| e.to_string())?;
    if again != want {
        return Err("read from a Value: wrong values".into());
    }
    Ok(())
}

/// The direct read (what `loads` tries first) gives the array or nothing,
/// and the array when `taken`; the direct read from a stream (what
/// `load_seekable` tries first) gives what it gives, wherever the stream's
/// window cuts the data; `load_seekable` gives the array.
fn direct_checks<T: Sample>(bytes: &[u8], want: &ArrayD<T>, taken: bool) -> Result<(), String> {
    let limits = Limits::default();
    let read = direct::read::<ArrayD<T>>(bytes, &limits);
    let fortran_only = |x: &ArrayD<T>| !x.is_standard_layout() && x.t().is_standard_layout();
    match &read {
        Some(a) if a != want || fortran_only(a) != fortran_only(want) => {
            return Err(format!(
                "direct read gave {a:?} (strides {:?})",
                a.strides()
            ))
        }
        None if taken => return Err("the direct read gave up".into()),
        _ => {}
    }
    for chunk in [1, 3, 4096] {
        let streamed = direct::read_seekable::<ArrayD<T>>(Cursor::new(bytes), &limits, chunk, 1);
        if streamed != read {
            return Err(format!(
                "the direct read from a stream in {chunk}-byte pieces gave {streamed:?}"
            ));
        }
    }
    let loaded: ArrayD<T> = pickle::load_seekable(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    if loaded != want || fortran_only(&loaded) != fortran_only(want) {
        return Err(format!("load_seekable gave {loaded:?}"));
    }
    Ok(())
}

fn byte_checks<T: Sample>(py_major: u32, case: &Json, answer: &Json) -> Vec<String> {
    let (_, shape, fortran) = case_parts(case);
    let want = expected::<T>(&shape, fortran);
    let name = format!("{} {:?} {}", case["dtype"], shape, case["order"]);
    let mut failures = Vec::new();
    let mut fail = |what: String| failures.push(format!("{name} {what}"));
    let in_band: Vec<Vec<u8>> = answer["in_band"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();
    for (p, theirs) in in_band.iter().enumerate() {
        if let Err(e) = load_checks(theirs, &[], &want) {
            fail(format!("numpy {py_major} p{p}: {e}"));
        }
        // Protocols 3 and 4 write `_reconstruct` with the data as bytes,
        // protocol 5 `_frombuffer`: the direct read takes them.
        if let Err(e) = direct_checks(theirs, &want, p >= 3) {
            fail(format!("numpy {py_major} p{p}: {e}"));
        }
        let p8 = p as u8;
        let portable = pickle::ser::to_vec(&want, p8).unwrap();
        let numpy2 = pickle::ser::to_vec(&Numpy2(&want), p8).unwrap();
        match (py_major, p) {
            (1, 0..=4) if &portable != theirs => {
                fail(format!("portable p{p} differs from numpy 1.26"))
            }
            (1, 5) => {
                // numpy 1.26 writes _frombuffer at protocol 5; its protocol-4 bytes are ours but for PROTO.
                let mut p4 = in_band[4].clone();
                p4[1] = 5;
                if portable != p4 {
                    fail("portable p5 differs from numpy 1.26's p4 with PROTO 5".into());
                }
                let with_callback = Pickler::new()
                    .buffer_callback(|_| true)
                    .dumps(&want)
                    .unwrap();
                if &with_callback != theirs {
                    fail(
                        "portable p5 with an in-band buffer_callback differs from numpy 1.26"
                            .into(),
                    );
                }
            }
            (2, _) => {
                if &numpy2 != theirs {
                    fail(format!("Numpy2 p{p} differs from numpy 2"));
                }
                if p < 4 {
                    // The exact difference: the module path, nothing else.
                    let renamed =
                        replace(theirs, b"numpy._core.multiarray", b"numpy.core.multiarray");
                    if portable != renamed {
                        fail(format!("portable p{p} differs from numpy 2 by more than numpy._core -> numpy.core"));
                    }
                }
            }
            _ => {}
        }
    }
    let oob = &answer["out_of_band"];
    let buffers: Vec<Vec<u8>> = oob["buffers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();
    let oob_bytes = unhex(oob["hex"].as_str().unwrap());
    if let Err(e) = load_checks(&oob_bytes, &buffers, &want) {
        fail(format!("numpy {py_major} out-of-band: {e}"));
    }
    // Out-of-band data in native order and aligned is borrowed, not copied.
    if let [buffer] = &buffers[..] {
        let mut room = vec![0_u8; buffer.len() + 16];
        let at = room.as_ptr().align_offset(16);
        room[at..at + buffer.len()].copy_from_slice(buffer);
        let aligned = &room[at..at + buffer.len()];
        let view: Result<ArrayViewD<T>, _> = Unpickler::new()
            .buffers([Buffer {
                data: aligned.into(),
                readonly: false,
            }])
            .loads(&oob_bytes);
        match view {
            Ok(view)
                if view == want
                    && (view.is_empty()
                        || std::ptr::eq(view.as_ptr().cast::<u8>(), aligned.as_ptr())) => {}
            Ok(_) => fail("out-of-band ArrayView: wrong values or copied".into()),
            Err(e) => fail(format!("out-of-band ArrayView: {e}")),
        }
    }
    let (with_buffers, oob_ours) = {
        let mut ours = Vec::new();
        let bytes = Pickler::new()
            .buffer_callback(|b| {
                ours.push(b.data.to_vec());
                false
            })
            .dumps(&Numpy2(&want))
            .unwrap();
        (bytes, ours)
    };
    if py_major == 2 && (with_buffers != oob_bytes || oob_ours != buffers) {
        fail("Numpy2 out-of-band differs from numpy 2".into());
    }
    for (i, h) in answer["big_endian"].as_array().unwrap().iter().enumerate() {
        let theirs = unhex(h.as_str().unwrap());
        if let Err(e) = load_checks(&theirs, &[], &want) {
            fail(format!("big-endian #{i}: {e}"));
        }
        if let Err(e) = direct_checks(&theirs, &want, false) {
            fail(format!("big-endian #{i}: {e}"));
        }
    }
    failures
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

macro_rules! dispatch {
    ($dtype:expr, $f:ident($($args:expr),*)) => {{
        let d = $dtype;
        if d == Dtype::of::<bool>().str() { $f::<bool>($($args),*) }
        else if d == Dtype::of::<i8>().str() { $f::<i8>($($args),*) }
        else if d == Dtype::of::<i16>().str() { $f::<i16>($($args),*) }
        else if d == Dtype::of::<i32>().str() { $f::<i32>($($args),*) }
        else if d == Dtype::of::<i64>().str() { $f::<i64>($($args),*) }
        else if d == Dtype::of::<u8>().str() { $f::<u8>($($args),*) }
        else if d == Dtype::of::<u16>().str() { $f::<u16>($($args),*) }
        else if d == Dtype::of::<u32>().str() { $f::<u32>($($args),*) }
        else if d == Dtype::of::<u64>().str() { $f::<u64>($($args),*) }
        else if d == Dtype::of::<f16>().str() { $f::<f16>($($args),*) }
        else if d == Dtype::of::<f32>().str() { $f::<f32>($($args),*) }
        else if d == Dtype::of::<f64>().str() { $f::<f64>($($args),*) }
        else if d == Dtype::of::<Complex<f32>>().str() { $f::<Complex<f32>>($($args),*) }
        else if d == Dtype::of::<Complex<f64>>().str() { $f::<Complex<f64>>($($args),*) }
        else { panic!("no element type for {d}") }
    }};
}

#[test]
fn numpy_arrays_load_in_rust_and_our_bytes_match_numpys() {
    for py in interpreters() {
        let cases = each_dtype!(cases());
        let answers = py.ask(&json!({"cmd": "dumps", "cases": cases}));
        let mut failures = Vec::new();
        for (case, answer) in cases.iter().zip(answers.as_array().unwrap()) {
            failures.extend(dispatch!(
                case["dtype"].as_str().unwrap(),
                byte_checks(py.major, case, answer)
            ));
        }
        report(
            &format!("Rust loads numpy {}'s arrays, byte-compared", py.major),
            failures,
            cases.len(),
        );
    }
}

// ---- lists of arrays, scalars ---------------------------------------------------------

/// `[f8 array, f8 Fortran array, float64, int32, bool_, uint8, complex128, float16]`.
#[derive(Debug, PartialEq)]
struct Mixed {
    c: ArrayD<f64>,
    f: ArrayD<f64>,
    scalars: Scalars,
}

type Scalars = (
    NumpyScalar<f64>,
    NumpyScalar<i32>,
    NumpyScalar<bool>,
    NumpyScalar<u8>,
    NumpyScalar<Complex<f64>>,
    NumpyScalar<f16>,
);

impl Mixed {
    fn new() -> Mixed {
        Mixed {
            c: expected(&[5], false),
            f: expected(&[2, 3], true),
            scalars: (
                NumpyScalar(2.5),
                NumpyScalar(-7),
                NumpyScalar(true),
                NumpyScalar(1),
                NumpyScalar(Complex::new(1.0, -2.0)),
                NumpyScalar(f16::from_f32(0.5)),
            ),
        }
    }

    fn write<W: std::io::Write>(
        &self,
        w: &mut pickle::ser::Writer<'_, W>,
        numpy2: bool,
    ) -> pickle::Result<()> {
        use pickle::numpy::{Format, NumpyPickle};
        let format = if numpy2 {
            Format::Numpy2
        } else {
            Format::Portable
        };
        let s = &self.scalars;
        w.write_list(8, |w, i| match i {
            0 => self.c.write_numpy(w, format),
            1 => self.f.write_numpy(w, format),
            2 => s.0.write_numpy(w, format),
            3 => s.1.write_numpy(w, format),
            4 => s.2.write_numpy(w, format),
            5 => s.3.write_numpy(w, format),
            6 => s.4.write_numpy(w, format),
            _ => s.5.write_numpy(w, format),
        })
    }

    fn read(bytes: &[u8]) -> pickle::Result<Mixed> {
        let v: Value = pickle::loads(bytes)?;
        let items: Vec<_> = v.root_node().items().expect("a list").collect();
        Ok(Mixed {
            c: items[0].extract()?,
            f: items[1].extract()?,
            scalars: (
                items[2].extract()?,
                items[3].extract()?,
                items[4].extract()?,
                items[5].extract()?,
                items[6].extract()?,
                items[7].extract()?,
            ),
        })
    }
}

struct Portable<'a>(&'a Mixed, bool);

impl pickle::ser::ToPickle for Portable<'_> {
    fn to_pickle<W: std::io::Write>(
        &self,
        w: &mut pickle::ser::Writer<'_, W>,
    ) -> pickle::Result<()> {
        self.0.write(w, self.1)
    }
}

#[test]
fn lists_of_arrays_and_scalars_share_dtypes_as_numpy_does() {
    let mixed = Mixed::new();
    for py in interpreters() {
        let theirs = py.ask(&json!({"cmd": "list_and_scalars"}));
        let mut failures = Vec::new();
        let mut ours = Vec::new();
        for (p, h) in theirs.as_array().unwrap().iter().enumerate() {
            let theirs = unhex(h.as_str().unwrap());
            match Mixed::read(&theirs) {
                Ok(m) if m == mixed => {}
                Ok(m) => failures.push(format!("p{p}: loaded {m:?}")),
                Err(e) => failures.push(format!("p{p}: {e}")),
            }
            let portable = pickle::ser::to_vec(&Portable(&mixed, false), p as u8).unwrap();
            let numpy2 = pickle::ser::to_vec(&Portable(&mixed, true), p as u8).unwrap();
            let same = match (py.major, p) {
                (1, 0..=4) => portable == theirs,
                (1, _) => true, // numpy 1.26 writes _frombuffer at protocol 5
                _ => numpy2 == theirs,
            };
            if !same {
                failures.push(format!("p{p}: our bytes differ from numpy {}'s", py.major));
            }
            ours.push(hex(&portable));
            if py.major >= 2 || p < 5 {
                ours.push(hex(&numpy2));
            }
        }
        let loaded = py.ask(&json!({"cmd": "load_list_and_scalars", "pickles": ours}));
        for (i, answer) in loaded.as_array().unwrap().iter().enumerate() {
            if answer != "ok" {
                failures.push(format!(
                    "numpy {} loading our pickle #{i}: {answer}",
                    py.major
                ));
            }
        }
        report(
            &format!("lists and scalars, numpy {}", py.major),
            failures,
            12,
        );
    }
}

#[test]
fn dicts_of_arrays_sharing_a_dtype_are_read_directly() {
    let w1 = ArrayD::from_shape_vec(vec![2, 3], vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]).unwrap();
    let b1 = ArrayD::from_shape_vec(vec![3], vec![-1.0, 0.0, 1.0]).unwrap();
    let w2 = ArrayD::from_elem(vec![3, 1], 2.5);
    let want: IndexMap<String, ArrayD<f32>> =
        IndexMap::from([("w1".into(), w1), ("b1".into(), b1), ("w2".into(), w2)]);
    for py in interpreters() {
        let theirs = py.ask(&json!({"cmd": "state_dict"}));
        for (p, h) in theirs.as_array().unwrap().iter().enumerate() {
            let theirs = unhex(h.as_str().unwrap());
            // The second array on fetches its dtype from the memo; below
            // protocol 3 the data is `_codecs.encode`'s, the graph path's.
            let direct = direct::read::<IndexMap<String, ArrayD<f32>>>(&theirs, &Limits::default());
            assert_eq!(
                direct.as_ref(),
                (p >= 3).then_some(&want),
                "numpy {} p{p}",
                py.major
            );
            for chunk in [7, 64, 1 << 16] {
                let streamed = direct::read_seekable::<IndexMap<String, ArrayD<f32>>>(
                    Cursor::new(&theirs),
                    &Limits::default(),
                    chunk,
                    1,
                );
                assert_eq!(
                    streamed, direct,
                    "numpy {} p{p}, {chunk}-byte pieces",
                    py.major
                );
            }
            let loaded: IndexMap<String, ArrayD<f32>> = pickle::loads(&theirs).unwrap();
            assert_eq!(loaded, want, "numpy {} p{p}", py.major);
        }
    }
}

// ---- opaque arrays -------------------------------------------------------------------

#[test]
fn opaque_arrays_round_trip_losslessly() {
    for py in interpreters() {
        let theirs = py.ask(&json!({"cmd": "opaque_dumps"}));
        let mut failures = Vec::new();
        let mut ours = serde_json::Map::new();
        for (name, pickles) in theirs.as_object().unwrap() {
            let mut back = Vec::new();
            for (p, h) in pickles.as_array().unwrap().iter().enumerate() {
                let bytes = unhex(h.as_str().unwrap());
                let opaque: OpaqueArray = match pickle::loads(&bytes) {
                    Ok(a) => a,
                    Err(e) => {
                        failures.push(format!("{name} p{p}: {e}"));
                        continue;
                    }
                };
                let kept = match &opaque.data {
                    OpaqueData::Bytes(raw) => !raw.is_empty(),
                    OpaqueData::Objects(items) => {
                        items.root_node().items().is_some_and(|i| i.len() == 3)
                    }
                };
                assert!(kept, "{name} p{p}: the data was not kept");
                // A typed read of an unsupported dtype is an error, never a wrong value.
                assert!(pickle::loads::<ArrayD<f64>>(&bytes).is_err());
                // The graph keeps the array whole too.
                let graph: Value = pickle::loads(&bytes).unwrap();
                let again = Pickler::new().protocol(p as u8).dumps(&graph).unwrap();
                if again != bytes {
                    failures.push(format!(
                        "{name} p{p}: the graph does not write back byte for byte"
                    ));
                }
                back.push(json!(hex(&pickle::ser::to_vec(&opaque, p as u8).unwrap())));
                if py.major >= 2 {
                    back.push(json!(hex(
                        &pickle::ser::to_vec(&Numpy2(&opaque), p as u8).unwrap()
                    )));
                }
            }
            ours.insert(name.clone(), Json::Array(back));
        }
        let answers = py.ask(&json!({"cmd": "opaque_check", "pickles": ours}));
        let mut checked = 0;
        for (name, results) in answers.as_object().unwrap() {
            for (i, r) in results.as_array().unwrap().iter().enumerate() {
                checked += 1;
                if r != "ok" {
                    failures.push(format!("numpy {} loading our {name} #{i}: {r}", py.major));
                }
            }
        }
        report(
            &format!("opaque arrays, numpy {}", py.major),
            failures,
            checked,
        );
    }
}

// ---- a 100 MB array ----------------------------------------------------------------

#[test]
fn a_100_mb_float64_array_loads_and_dumps() {
    let n = 100 * 1024 * 1024 / 8;
    let py = &interpreters()[0];
    let dir = std::env::temp_dir().join(format!("pickle-numpy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let want = Array1::from_shape_fn(n, |i| i as f64 * 0.25);
    for protocol in [4, 5] {
        let path = dir.join(format!("numpy-p{protocol}.pkl"));
        let answer =
            py.ask(&json!({"cmd": "big_dump", "n": n, "protocol": protocol, "path": path}));
        assert_eq!(answer, "ok");
        let bytes = std::fs::read(&path).unwrap();
        let a: Array1<f64> = pickle::loads(&bytes).unwrap();
        assert!(a == want, "numpy's 100 MB p{protocol} array loaded wrong");
        let path = dir.join(format!("rust-p{protocol}.pkl"));
        std::fs::write(&path, pickle::ser::to_vec(&want, protocol).unwrap()).unwrap();
        let answer = py.ask(&json!({"cmd": "big_check", "n": n, "path": path}));
        assert_eq!(
            answer, "ok",
            "numpy loaded our 100 MB p{protocol} array wrong"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
