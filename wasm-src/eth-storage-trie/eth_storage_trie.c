/*
 * eth-storage-trie codec module (multicodec 0x98), autocodec ABI v1: Ethereum storage trie nodes with keccak-256 links and the slot values in leaves, as go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-storage-trie.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x98
#include "../eth-common/dageth.h"
