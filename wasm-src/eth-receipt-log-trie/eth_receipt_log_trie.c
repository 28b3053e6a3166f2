/*
 * eth-receipt-log-trie codec module (multicodec 0x99), autocodec ABI v1: Ethereum receipt log trie nodes (logs keyed by RLP index) as go-codec-dageth's log trie.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-receipt-log-trie.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x99
#include "../eth-common/dageth.h"
