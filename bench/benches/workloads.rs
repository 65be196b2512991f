//! Criterion benches of the workloads of `scripts/bench.sh`, at a tenth of
//! their size and in Rust only: typed and graph (`Value`) dumps and loads.
//!
//! `cargo bench -p pickle-bench`. The side-by-side comparison with CPython
//! and serde-pickle is `scripts/bench.sh`.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pickle::de::FromPickle;
use pickle::numpy::ndarray::Array1;
use pickle::numpy::Numpy2;
use pickle::ser::ToPickle;
use pickle::{Pickle, Pickler, Value};

#[derive(Pickle, Clone)]
#[pickle(module = "bench_classes", name = "Record")]
struct Record {
    id: i64,
    score: f64,
    name: String,
    tags: Vec<i64>,
    counts: HashMap<String, i64>,
}

/// A cheap deterministic stream of numbers (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
    fn float(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn p5() -> Pickler<'static> {
    Pickler::new().protocol(5)
}

/// Benches typed dumps, typed loads, graph loads and graph dumps of `v`.
fn bench<T: ToPickle + for<'de> FromPickle<'de>>(c: &mut Criterion, name: &str, n: u64, v: &T) {
    let data = p5().dumps(v).unwrap();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(n));
    g.bench_function("typed dumps", |b| {
        b.iter(|| p5().dumps(black_box(v)).unwrap())
    });
    g.bench_function("typed loads", |b| {
        b.iter_batched(
            || (),
            |()| pickle::loads::<T>(black_box(&data)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("value loads", |b| {
        b.iter(|| pickle::loads::<Value>(black_box(&data)).unwrap())
    });
    let graph: Value = pickle::loads(&data).unwrap();
    g.bench_function("value dumps", |b| {
        b.iter(|| p5().dumps(black_box(&graph)).unwrap())
    });
    g.finish();
}

fn workloads(c: &mut Criterion) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);

    let ints: Vec<i64> = (0..100_000).map(|_| rng.below(1000)).collect();
    bench(c, "a_ints", 100_000, &ints);

    let records: Vec<Record> = (0..10_000)
        .map(|i| Record {
            id: i,
            score: rng.float(),
            name: format!("{:016x}", rng.next()),
            tags: (0..3).map(|_| rng.below(1_000_000)).collect(),
            counts: HashMap::from([("x".into(), rng.below(100)), ("y".into(), rng.below(100))]),
        })
        .collect();
    bench(c, "b_records", 10_000, &records);

    let dict: HashMap<String, f64> = (0..10_000)
        .map(|i| (format!("key{i:07}"), rng.float()))
        .collect();
    bench(c, "c_dict", 10_000, &dict);

    let strs: Vec<String> = (0..200_000)
        .map(|_| format!("{:016x}{:016x}", rng.next(), rng.next()))
        .collect();
    bench(c, "d_strs", 200_000, &strs);

    let array: Array1<f64> = (0..(10 << 20) / 8).map(|_| rng.float()).collect();
    let data = p5().dumps(&Numpy2(&array)).unwrap();
    let mut g = c.benchmark_group("e_array_10MiB");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("typed dumps", |b| {
        b.iter(|| p5().dumps(&Numpy2(black_box(&array))).unwrap())
    });
    g.bench_function("typed loads", |b| {
        b.iter(|| pickle::loads::<Array1<f64>>(black_box(&data)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, workloads);
criterion_main!(benches);
