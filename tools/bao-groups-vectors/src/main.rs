//! Generator for `fixtures/bao-groups/vectors.json`.
//!
//! Produces test vectors for BLAKE3 verified streaming ("Bao") with chunk
//! groups, as implemented by the `bao-tree` crate (=0.17.0 from crates.io,
//! hashing via the `blake3` crate =1.8.7). A chunk group of log `g` makes the
//! tree leaves `1024 << g` bytes; `g = 4` (16 KiB) is what Iroh uses.
//!
//! For every group log and input length it records the root hash, the
//! combined pre-order encoding, the pre-order outboard and a handful of chunk
//! range slices, each as a length plus BLAKE3 digest of the bytes bao-tree
//! writes. bao-tree never writes the 8-byte length prefix of the original
//! Bao format, so there is nothing to strip.
//!
//! Besides the length / root hash assertions, every output of bao-tree is
//! compared against a small independent reference written here on top of
//! `blake3::hazmat` (plain recursive Bao with `1024 << g` byte leaves, and
//! the slice rules described in fixtures/bao-groups/README.md).
//!
//! Regenerate with:
//!   cargo run --release --manifest-path tools/bao-groups-vectors/Cargo.toml \
//!     > fixtures/bao-groups/vectors.json

use std::fmt::Write as _;

use bao_tree::{
    io::{outboard::PreOrderMemOutboard, sync::encode_ranges_validated},
    BlockSize, ChunkNum, ChunkRanges,
};
use blake3::hazmat::{
    left_subtree_len, merge_subtrees_non_root, merge_subtrees_root, ChainingValue, HasherExt,
    Mode,
};

const CHUNK: u64 = 1024;
const GROUP_LOGS: [u8; 3] = [0, 2, 4];
const LENGTHS: [u64; 21] = [
    0,
    1,
    1023,
    1024,
    1025,
    2048,
    4095,
    4096,
    4097,
    16383,
    16384,
    16385,
    32768,
    32769,
    49153,
    65536,
    100000,
    262144,
    262145,
    1048576 + 4097,
    3 * 1048576 + 1,
];

fn input(n: u64) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

fn hex_blake3(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

fn div_ceil_min1(n: u64, d: u64) -> u64 {
    n.div_ceil(d).max(1)
}

// ---------------------------------------------------------------------------
// Independent reference (does not use bao-tree).
// ---------------------------------------------------------------------------

/// Chaining value (or root hash bytes if `is_root`) of the subtree holding
/// `data`, which starts at byte `offset` of the input.
fn subtree_cv(data: &[u8], offset: u64, is_root: bool) -> ChainingValue {
    if is_root {
        *blake3::hash(data).as_bytes()
    } else {
        let mut h = blake3::Hasher::new();
        h.set_input_offset(offset);
        h.update(data);
        h.finalize_non_root()
    }
}

fn merge(l: &ChainingValue, r: &ChainingValue, is_root: bool) -> ChainingValue {
    if is_root {
        *merge_subtrees_root(l, r, Mode::Hash).as_bytes()
    } else {
        merge_subtrees_non_root(l, r, Mode::Hash)
    }
}

/// Plain pre-order Bao with leaves of `leaf` bytes. Emits parents always and
/// leaf data only if `emit_data` (false gives the outboard).
fn ref_encode(
    data: &[u8],
    offset: u64,
    is_root: bool,
    leaf: u64,
    emit_data: bool,
    out: &mut Vec<u8>,
) -> ChainingValue {
    if data.len() as u64 <= leaf {
        if emit_data {
            out.extend_from_slice(data);
        }
        return subtree_cv(data, offset, is_root);
    }
    let mid = left_subtree_len(data.len() as u64) as usize;
    let at = out.len();
    out.extend_from_slice(&[0u8; 64]);
    let l = ref_encode(&data[..mid], offset, false, leaf, emit_data, out);
    let r = ref_encode(&data[mid..], offset + mid as u64, false, leaf, emit_data, out);
    out[at..at + 32].copy_from_slice(&l);
    out[at + 32..at + 64].copy_from_slice(&r);
    merge(&l, &r, is_root)
}

/// Reference slice for chunk range `a..b` (already clamped to the content).
/// A subtree not touching the range emits nothing. A subtree of more than
/// one chunk group emits its parent pair if it touches the range. A subtree
/// of at most one chunk group emits its raw bytes if it lies fully inside
/// the range, otherwise (partial overlap) its parent pair followed by the
/// recursion into both halves, down to single 1024-byte chunks.
fn ref_slice(
    data: &[u8],
    offset: u64,
    is_root: bool,
    group: u64,
    a: u64,
    b: u64,
    out: &mut Vec<u8>,
) -> ChainingValue {
    let len = data.len() as u64;
    let first = offset / CHUNK;
    let end = first + div_ceil_min1(len, CHUNK);
    let touches = first < b && a < end;
    let full = a <= first && end <= b;
    if len <= CHUNK || (len <= group && (full || !touches)) {
        if touches {
            out.extend_from_slice(data);
        }
        return subtree_cv(data, offset, is_root);
    }
    let mid = left_subtree_len(len) as usize;
    let at = out.len();
    if touches {
        out.extend_from_slice(&[0u8; 64]);
    }
    let l = ref_slice(&data[..mid], offset, false, group, a, b, out);
    let r = ref_slice(&data[mid..], offset + mid as u64, false, group, a, b, out);
    if touches {
        out[at..at + 32].copy_from_slice(&l);
        out[at + 32..at + 64].copy_from_slice(&r);
    }
    merge(&l, &r, is_root)
}

// ---------------------------------------------------------------------------
// Vector generation with bao-tree.
// ---------------------------------------------------------------------------

/// Chunk ranges to slice for content of `n` bytes with `1 << g` chunk groups.
fn slice_ranges(n: u64, g: u8) -> Vec<(u64, u64)> {
    if n == 0 {
        return vec![(0, 1)];
    }
    let c = div_ceil_min1(n, CHUNK); // chunks
    let gc = 1u64 << g; // chunks per group
    let mut v = vec![(0, 1), (0, (gc + 1).min(c))];
    if c > gc {
        // a group boundary near the middle, and one chunk either side of it
        let boundary = gc * (c / (2 * gc)).max(1);
        v.push((boundary - 1, (boundary + 1).min(c)));
    }
    v.push((c / 2, c / 2 + 1));
    v.push((c - 1, c));
    v.push((c.saturating_sub(3), c + 10));
    let mut out: Vec<(u64, u64)> = Vec::new();
    for r in v {
        if r.0 < r.1 && r.0 * CHUNK < n && !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

fn encode(data: &[u8], ob: &PreOrderMemOutboard, ranges: &ChunkRanges) -> Vec<u8> {
    let mut out = Vec::new();
    encode_ranges_validated(data, ob, ranges, &mut out).expect("bao-tree encode failed");
    out
}

fn case(g: u8, n: u64) -> String {
    let data = input(n);
    let group = CHUNK << g;
    let ob = PreOrderMemOutboard::create(&data, BlockSize::from_chunk_log(g));

    // root hash: must be plain BLAKE3
    assert_eq!(ob.root, blake3::hash(&data), "root g={g} n={n}");

    // combined pre-order encoding of everything
    let encoded = encode(&data, &ob, &ChunkRanges::all());
    let groups = div_ceil_min1(n, group);
    assert_eq!(encoded.len() as u64, n + 64 * (groups - 1), "encoded_len g={g} n={n}");
    if g == 0 {
        let chunks = div_ceil_min1(n, CHUNK);
        assert_eq!(encoded.len() as u64, n + 64 * (chunks - 1));
    }
    let mut reference = Vec::new();
    let root = ref_encode(&data, 0, true, group, true, &mut reference);
    assert_eq!(&root, ob.root.as_bytes());
    assert_eq!(encoded, reference, "combined encoding g={g} n={n}");

    // pre-order outboard, no size prefix
    let outboard = &ob.data;
    assert_eq!(outboard.len() as u64, 64 * (groups - 1));
    assert_eq!(outboard.len() as u64, ob.tree.outboard_size());
    reference.clear();
    ref_encode(&data, 0, true, group, false, &mut reference);
    assert_eq!(*outboard, reference, "outboard g={g} n={n}");
    // into_inner_with_prefix is the original Bao outboard file format
    let prefixed = ob.clone().into_inner_with_prefix();
    assert_eq!(&prefixed[..8], &n.to_le_bytes());
    assert_eq!(&prefixed[8..], &outboard[..]);

    let mut s = String::new();
    write!(
        s,
        "{{\"group_log\": {g}, \"len\": {n}, \"hash\": \"{}\",\n   \"encoded_len\": {}, \
         \"encoded_blake3\": \"{}\",\n   \"outboard_len\": {}, \"outboard_blake3\": \"{}\",\n   \
         \"slices\": [",
        ob.root.to_hex(),
        encoded.len(),
        hex_blake3(&encoded),
        outboard.len(),
        hex_blake3(outboard),
    )
    .unwrap();

    let chunks = div_ceil_min1(n, CHUNK);
    for (i, (a, b)) in slice_ranges(n, g).into_iter().enumerate() {
        let ranges = ChunkRanges::from(ChunkNum(a)..ChunkNum(b));
        let slice = encode(&data, &ob, &ranges);
        reference.clear();
        ref_slice(&data, 0, true, group, a, b.min(chunks), &mut reference);
        assert_eq!(slice, reference, "slice {a}..{b} g={g} n={n}");
        if b >= chunks && a == 0 {
            // a range covering everything is the combined encoding
            assert_eq!(slice, encoded);
        }
        write!(
            s,
            "{}\n    {{\"start_chunk\": {a}, \"end_chunk\": {b}, \"len\": {}, \"blake3\": \"{}\"}}",
            if i == 0 { "" } else { "," },
            slice.len(),
            hex_blake3(&slice),
        )
        .unwrap();
    }
    s.push_str("]}");
    s
}

fn main() {
    let mut cases = Vec::new();
    for &g in &GROUP_LOGS {
        for &n in &LENGTHS {
            cases.push(case(g, n));
        }
    }
    println!("{{\"source\": \"bao-tree 0.17.0 (crates.io), blake3 1.8.7\",");
    println!(" \"input\": \"byte i of an input is i % 251\",");
    println!(" \"cases\": [");
    println!("  {}", cases.join(",\n  "));
    println!(" ]}}");
}
