/*
 * eth-block codec module (multicodec 0x90), autocodec ABI v1: Ethereum block headers in every
 * fork shape from Frontier to Prague (15, 16, 17, 20 or 21 RLP fields), as the dag-eth Header
 * of go-codec-dageth, the later fork fields added the way the reference writes its own.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-block.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x90
#include "../eth-common/dageth.h"
