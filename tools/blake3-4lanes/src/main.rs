//! `blake3-4lanes FILE ROUNDS`: hash FILE (read in 1 MiB pieces, one thread) ROUNDS times with
//! the blake3 crate built without AVX2 and AVX-512, so its widest kernel is SSE4.1's: 4 chunks
//! at once in 128-bit vectors, the width Wasm SIMD128 gives a module. Prints one JSON line:
//! the hex root hash and the nanoseconds of each round. The bench's peer for `bao.kernel`.

use std::fs::File;
use std::io::Read;
use std::time::Instant;

fn hash_file(path: &str, buf: &mut [u8]) -> std::io::Result<blake3::Hash> {
    let mut file = File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: blake3-4lanes FILE ROUNDS");
        std::process::exit(2);
    }
    let rounds: usize = match args[2].parse() {
        Ok(n) if n > 0 => n,
        _ => {
            eprintln!("blake3-4lanes: ROUNDS must be a positive integer");
            std::process::exit(2);
        }
    };
    // A page-aligned buffer: the kernel copies into a buffer 16 bytes past a page boundary (where
    // the allocator puts a large one) several times slower on the machines measured (docs/bao.md).
    let mut room = vec![0u8; (1 << 20) + 4096];
    let skip = room.as_ptr().align_offset(4096);
    let buf = &mut room[skip..skip + (1 << 20)];
    let mut times = Vec::with_capacity(rounds);
    let mut root = String::new();
    for _ in 0..rounds {
        let start = Instant::now();
        match hash_file(&args[1], buf) {
            Ok(hash) => root = hash.to_hex().to_string(),
            Err(err) => {
                eprintln!("blake3-4lanes: {}: {}", args[1], err);
                std::process::exit(1);
            }
        }
        times.push(start.elapsed().as_nanos().to_string());
    }
    println!("{{\"root\": \"{}\", \"ns\": [{}]}}", root, times.join(", "));
}
