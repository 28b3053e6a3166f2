//! generated from autocodec/abi.py by `python -m autocodec.modkit.abi_consts --write`; do not edit
pub const ABI_VERSION: i32 = 1;
pub const SECTION_NAME: &str = "autocodec.module";
pub const OK: i32 = 0;
pub const ERR_INVALID: i32 = 1;
pub const ERR_UNSUPPORTED: i32 = 2;
pub const ERR_NOMEM: i32 = 3;
pub const ERR_INTERNAL: i32 = 4;
pub const KIND_CODEC: &str = "codec";
pub const KIND_HASHER: &str = "hasher";
pub const KIND_CHUNKER: &str = "chunker";
pub const KIND_CRYPTO: &str = "crypto";
pub const KIND_TASK: &str = "task";
pub const KIND_VERIFIER: &str = "verifier";
