//! Engine benchmarks (criterion): what the edge does per delivery (parse + plan) against parsing
//! the same bytes into serde_json::Value alone, the console's shadow replay of a mapping over a
//! history page, and envelope decryption throughput.
//! Run by `make bench` (scripts/bench.sh), which also runs the wasm build and the edge.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod workloads;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hookmap_core::shadow;
use hookmap_core::{Algorithm, Catalog, Draft, Encryption};
use std::hint::black_box;

fn engine(c: &mut Criterion) {
    for (w, mapping) in workloads::prepared().unwrap() {
        let bytes: usize = w.payloads.iter().map(Vec::len).sum();
        let mut group = c.benchmark_group(format!("plan/{}", w.name));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("serde_json parse alone", |b| {
            b.iter(|| workloads::pass(&w, &mapping, true).unwrap())
        });
        group.bench_function("edge parse + plan", |b| {
            b.iter(|| workloads::pass(&w, &mapping, false).unwrap())
        });
        group.finish();
    }
}

/// A history page of 50 deliveries (the workload's payloads, repeated), read and judged as the
/// console does on each edit of the mapping: its cost is what the admin waits for.
fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("shadow");
    for w in workloads::all() {
        let items: Vec<serde_json::Value> = w
            .payloads
            .iter()
            .cycle()
            .take(50)
            .enumerate()
            .map(|(i, p)| {
                let payload: serde_json::Value = serde_json::from_slice(p).unwrap();
                serde_json::json!({"id": format!("dlv_{i}"), "status": "success",
                                   "effects": [], "payload": payload})
            })
            .collect();
        let text = serde_json::json!({ "data": items }).to_string();
        let draft = Draft::parse(&w.mapping, &Catalog::with_fields(w.fields.clone()));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(BenchmarkId::new("read + judge 50", w.name), |b| {
            b.iter(|| {
                let list = shadow::deliveries(black_box(&text)).unwrap();
                black_box(shadow::judge(&list, |p| draft.plan(p)))
            })
        });
    }
    group.finish();
}

fn envelope(c: &mut Criterion) {
    let mut group = c.benchmark_group("decrypt");
    for algorithm in [Algorithm::Aes256Cbc, Algorithm::Aes256Gcm] {
        let enc = Encryption::new(
            algorithm,
            "k3y-for-hookmap-benchmarks-32chr",
            "iv-16-characters",
        )
        .unwrap();
        for size in [1024usize, 64 * 1024] {
            let plaintext = vec![b'x'; size];
            // The {iv, data} envelope with a per-message IV: 16 bytes for CBC, 12 for GCM.
            let iv: &[u8] = match algorithm {
                Algorithm::Aes256Cbc => &[7; 16],
                Algorithm::Aes256Gcm => &[7; 12],
            };
            let body = enc.seal(&plaintext, Some(iv)).unwrap();
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(
                BenchmarkId::new(algorithm.as_str(), format!("{}KB", size / 1024)),
                &body,
                |b, body| b.iter(|| black_box(enc.open(black_box(body.as_bytes())).unwrap())),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, engine, replay, envelope);
criterion_main!(benches);
