/*
 * eth-account-snapshot codec module (multicodec 0x97), autocodec ABI v1: Ethereum state accounts (nonce, balance, storage root, code hash) as the dag-eth Account of go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-account-snapshot.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x97
#include "../eth-common/dageth.h"
