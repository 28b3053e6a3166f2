/*
 * eth-tx-receipt codec module (multicodec 0x95), autocodec ABI v1: Ethereum receipts (legacy and typed) as the dag-eth Receipt of go-codec-dageth, with the link to the receipt's log trie.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-tx-receipt.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x95
#include "../eth-common/dageth.h"
