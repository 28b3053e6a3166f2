/*
 * eth-tx-trie codec module (multicodec 0x92), autocodec ABI v1: Ethereum transaction trie nodes (Merkle-Patricia branch/extension/leaf) with keccak-256 links and the transactions embedded in leaves, as go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-tx-trie.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x92
#include "../eth-common/dageth.h"
