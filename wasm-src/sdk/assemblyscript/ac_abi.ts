// generated from autocodec/abi.py by `python -m autocodec.modkit.abi_consts --write`; do not edit
export const ABI_VERSION: i32 = 1;
export const SECTION_NAME = "autocodec.module";
export const OK: i32 = 0;
export const ERR_INVALID: i32 = 1;
export const ERR_UNSUPPORTED: i32 = 2;
export const ERR_NOMEM: i32 = 3;
export const ERR_INTERNAL: i32 = 4;
export const KIND_CODEC = "codec";
export const KIND_HASHER = "hasher";
export const KIND_CHUNKER = "chunker";
export const KIND_CRYPTO = "crypto";
export const KIND_TASK = "task";
export const KIND_VERIFIER = "verifier";
