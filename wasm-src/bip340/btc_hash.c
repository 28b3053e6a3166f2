/* The Bitcoin modules' SHA-256 (see ../bitcoin-tx/btc_hash.h), compiled into bip340 too. */
#include "../bitcoin-tx/btc_hash.c"
