/*
 * eth-state-trie codec module (multicodec 0x96), autocodec ABI v1: Ethereum state trie nodes with keccak-256 links and the accounts embedded in leaves, as go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-state-trie.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x96
#include "../eth-common/dageth.h"
