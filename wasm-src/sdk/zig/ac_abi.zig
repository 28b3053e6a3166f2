//! generated from autocodec/abi.py by `python -m autocodec.modkit.abi_consts --write`; do not edit
pub const ABI_VERSION: i32 = 1;
pub const SECTION_NAME = "autocodec.module";
pub const OK: i32 = 0;
pub const ERR_INVALID: i32 = 1;
pub const ERR_UNSUPPORTED: i32 = 2;
pub const ERR_NOMEM: i32 = 3;
pub const ERR_INTERNAL: i32 = 4;
pub const KIND_CODEC = "codec";
pub const KIND_HASHER = "hasher";
pub const KIND_CHUNKER = "chunker";
pub const KIND_CRYPTO = "crypto";
pub const KIND_TASK = "task";
pub const KIND_VERIFIER = "verifier";
