/*
 * eth-tx-receipt-trie codec module (multicodec 0x94), autocodec ABI v1: Ethereum receipt trie nodes with keccak-256 links and the receipts embedded in leaves, as go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-tx-receipt-trie.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x94
#include "../eth-common/dageth.h"
