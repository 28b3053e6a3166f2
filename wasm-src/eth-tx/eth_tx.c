/*
 * eth-tx codec module (multicodec 0x93), autocodec ABI v1: Ethereum transactions (legacy, EIP-2930, 1559, 4844, 7702) as the dag-eth Transaction of go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-tx.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x93
#include "../eth-common/dageth.h"
