/*
 * eth-receipt-log codec module (multicodec 0x9a), autocodec ABI v1: Ethereum receipt logs (address, topics, data) as the dag-eth Log of go-codec-dageth.
 * The implementation is shared by the Ethereum family (../eth-common/dageth.h); the data model
 * is eth-receipt-log.ipldsch beside this file.
 */
#define DAGETH_CODEC 0x9a
#include "../eth-common/dageth.h"
