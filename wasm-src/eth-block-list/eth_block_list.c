/*
 * eth-block-list codec module (multicodec 0x91), autocodec ABI v1: Ethereum uncle lists (RLP list of headers) as the dag-eth Uncles list of go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-block-list.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x91
#include "../eth-common/dageth.h"
