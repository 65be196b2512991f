//! No input makes the loader, the stream loader, the disassembler or the
//! pickler panic: random bytes, and CPython's fixtures with random mutations.

mod common;

use std::sync::OnceLock;

use pickle::{dis, Pickler, Unpickler, Value};
use proptest::prelude::*;

fn seeds() -> &'static Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        common::corpus()
            .into_iter()
            .map(|s| s.pickle)
            .filter(|p| p.len() < 4096)
            .collect()
    })
}

/// Everything we do with untrusted bytes; any panic fails the property.
fn exercise(data: &[u8]) {
    let from_slice: pickle::Result<Value> = Unpickler::new().loads(data);
    let from_stream: pickle::Result<Value> = Unpickler::new().load(data);
    assert_eq!(
        from_slice.as_ref().map_err(|e| e.kind()).is_ok(),
        from_stream.as_ref().map_err(|e| e.kind()).is_ok(),
        "slice and stream loads disagree on {data:02x?}"
    );
    if let Ok(value) = from_slice {
        for protocol in 0..=5 {
            let _ = Pickler::new().protocol(protocol).dumps(&value);
        }
        let _ = format!("{value:?}");
    }
    let mut out = Vec::new();
    let _ = dis::dis(data, &mut out);
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut data: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = data.len().max(1);
        match *m {
            Mutation::Flip(i, b) if !data.is_empty() => data[i % len] ^= b | 1,
            Mutation::Insert(i, b) => data.insert(i % (data.len() + 1), b),
            Mutation::Delete(i) if !data.is_empty() => {
                data.remove(i % len);
            }
            Mutation::Truncate(i) => data.truncate(i % len),
            _ => {}
        }
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        exercise(&data);
    }

    #[test]
    fn random_bytes_after_a_protocol_header_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut pickle = vec![0x80, 5];
        pickle.extend(data);
        exercise(&pickle);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let data = mutate(seeds[which % seeds.len()].clone(), &mutations);
        exercise(&data);
    }
}
