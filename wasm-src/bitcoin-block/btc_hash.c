/* The Bitcoin hashes are one source for the family: this module compiles bitcoin-tx's copy. */
#include "../bitcoin-tx/btc_hash.c"
