//! Micro-benchmarks of the library pieces every capture and verify runs
//! through: the WARC digester, the two-hash file digest, and gzip WARC
//! record writing. End-to-end figures (pages/s, peak memory, verify
//! throughput against wget and sha256sum) come from `scripts/bench-capture`;
//! see docs/performance.md.
//!
//! `cargo bench --bench capture` (about 1-2 minutes on 2 cores). Sample sizes
//! are kept small on purpose; each benchmark reports bytes/s.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;
use warden::warc::{HttpDigester, WarcWriter};

const MIB: usize = 1024 * 1024;
/// Size of the pieces fed to the digester: a typical socket read.
const READ: usize = 64 * 1024;

/// `full` bytes under `cargo bench`; 256 KiB when `cargo test --all-targets`
/// runs this file as a test (criterion then runs each benchmark once), so
/// that test runs do not build 64 MiB inputs in a debug build.
fn size(full: usize) -> usize {
    if std::env::args().any(|a| a == "--bench") {
        full
    } else {
        256 * 1024
    }
}

/// Deterministic HTML-ish text (a listing page dump) of exactly `len` bytes,
/// so compression and hashing see realistic input rather than zeros.
fn html_ish(len: usize) -> Vec<u8> {
    #[rustfmt::skip]
    const WORDS: &[&str] = &[
        "ivory", "carving", "pangolin", "scale", "rhino", "horn", "tiger", "bone", "tortoise",
        "shell", "bracelet", "antique", "genuine", "rare", "certificate", "shipping", "discreet",
        "wholesale", "price", "negotiable", "contact", "seller", "bead", "hornbill", "casque",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % n
    };
    let mut out = Vec::with_capacity(len + 256);
    out.extend_from_slice(
        b"<!DOCTYPE html>\n<html><head><title>listing</title></head><body><ul>\n",
    );
    while out.len() < len {
        write!(out, "<li><a href=\"/item/{}\">", next(1_000_000)).expect("write to Vec");
        for i in 0..3 + next(6) {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(WORDS[next(WORDS.len())].as_bytes());
        }
        writeln!(
            out,
            "</a> <span class=\"price\">${}</span></li>",
            20 + next(5000)
        )
        .expect("write to Vec");
    }
    out.truncate(len);
    out
}

/// A complete HTTP/1.1 response with a `Content-Length` body.
fn plain_response(body: &[u8]) -> Vec<u8> {
    let mut msg = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    msg.extend_from_slice(body);
    msg
}

/// A complete HTTP/1.1 response with the body in 16 KiB chunks.
fn chunked_response(body: &[u8]) -> Vec<u8> {
    let mut msg =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for chunk in body.chunks(16 * 1024) {
        write!(msg, "{:x}\r\n", chunk.len()).expect("write to Vec");
        msg.extend_from_slice(chunk);
        msg.extend_from_slice(b"\r\n");
    }
    msg.extend_from_slice(b"0\r\n\r\n");
    msg
}

fn bench_http_digester(c: &mut Criterion) {
    let body = html_ish(size(16 * MIB));
    let mut group = c.benchmark_group("warc_digest_http_digester");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for (name, msg) in [
        ("plain_16MiB", plain_response(&body)),
        ("chunked_16MiB", chunked_response(&body)),
    ] {
        group.throughput(Throughput::Bytes(msg.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &msg, |b, msg| {
            b.iter(|| {
                let mut d = HttpDigester::new();
                for piece in msg.chunks(READ) {
                    d.update(black_box(piece));
                }
                black_box(d.finish())
            })
        });
    }
    group.finish();
}

fn bench_digest_file(c: &mut Criterion) {
    let len = size(64 * MIB);
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let block = html_ish(len.min(4 * MIB));
    for _ in 0..len / block.len() {
        file.write_all(&block).expect("write temp file");
    }
    file.flush().expect("flush temp file");
    let path = file.path().to_path_buf();
    // Read it once so that every sample sees a warm page cache.
    let expected = warden::hash::digest_file(&path).expect("digest temp file");
    assert_eq!(expected.size, len as u64);

    let mut group = c.benchmark_group("hash_digest_file");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes(len as u64));
    group.bench_function("sha256+sha512_64MiB_warm_cache", |b| {
        b.iter(|| black_box(warden::hash::digest_file(black_box(&path)).expect("digest")))
    });
    group.finish();
}

/// The raw hash speeds behind `digest_file` and the digester: the ceiling
/// for anything that hashes, on this CPU, with the `sha2` crate warden uses.
fn bench_sha2_baseline(c: &mut Criterion) {
    use sha2::{Digest, Sha256, Sha512};
    let data = html_ish(size(16 * MIB));
    let mut group = c.benchmark_group("sha2_baseline");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("sha256_16MiB", |b| {
        b.iter(|| black_box(Sha256::digest(black_box(&data))))
    });
    group.bench_function("sha512_16MiB", |b| {
        b.iter(|| black_box(Sha512::digest(black_box(&data))))
    });
    group.finish();
}

fn bench_warc_write(c: &mut Criterion) {
    let block = plain_response(&html_ish(size(4 * MIB) - 128));
    let headers: Vec<(&str, String)> = vec![
        ("WARC-Type", "response".into()),
        (
            "WARC-Record-ID",
            "<urn:uuid:0191b0c8-6f2e-7c3a-9e1d-2b4f5a6c7d8e>".into(),
        ),
        ("WARC-Date", "2025-01-01T00:00:00.000Z".into()),
        ("WARC-Target-URI", "http://127.0.0.1:8080/page/1".into()),
        ("WARC-IP-Address", "127.0.0.1".into()),
        ("Content-Type", "application/http;msgtype=response".into()),
        (
            "WARC-Block-Digest",
            warden::warc::sha256_label(&warden::hash::sha256_hex(&block)),
        ),
    ];
    let mut group = c.benchmark_group("warc_writer_write_bytes");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes(block.len() as u64));
    group.bench_function("gzip_record_4MiB", |b| {
        // Into a sink: this measures record framing and gzip, not the disk.
        let mut w = WarcWriter::new(std::io::sink());
        b.iter(|| {
            w.write_bytes(black_box(&headers), black_box(&block))
                .expect("write record")
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_http_digester,
    bench_digest_file,
    bench_sha2_baseline,
    bench_warc_write
);
criterion_main!(benches);
