// Command gethtyped writes fixtures/eth/geth-typed.jsonl: Ethereum blocks in their consensus
// encoding made by a current go-ethereum (v1.17, go.mod), each with go-ethereum's own JSON view
// of it, for the eth-* modules' tests of what go-codec-dageth v0.1.0 (go-ethereum v1.10.10)
// predates: EIP-4844 and EIP-7702 transactions, receipts of every type, and Shanghai, Cancun
// and Prague headers. Keys are fixed and signing is deterministic (RFC 6979), so the output is
// the same on every run: go run . > ../../../fixtures/eth/geth-typed.jsonl
//
// One JSON object a line: {"kind": "tx" | "rct" | "header", "hex": <bytes>, "json": <go-ethereum's
// MarshalJSON of the decoded value>}.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
)

type item struct {
	Kind string          `json:"kind"`
	Hex  string          `json:"hex"`
	JSON json.RawMessage `json:"json"`
}

func emit(kind string, b []byte, v any) {
	j, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	o, _ := json.Marshal(item{kind, hex.EncodeToString(b), j})
	fmt.Println(string(o))
}

func main() {
	key, _ := crypto.HexToECDSA("8a1f9a8f95be41cd7ccb6168179afb4504aefe388d1e14474d32c45c72ce7b7a")
	key2, _ := crypto.HexToECDSA("49a7b37aa6f6645917e7b807e9d1c00d4fa71f18343b0d4122a4d2df64dd6fee")
	chain := big.NewInt(11155111)
	signer := types.NewPragueSigner(chain)
	to := common.HexToAddress("0x62b53c45305d29bbe4b1bfa49dd78766b2f1e624")
	al := types.AccessList{{Address: to, StorageKeys: []common.Hash{{1}, {2}}}}
	txs := []types.TxData{
		&types.LegacyTx{Nonce: 7, GasPrice: big.NewInt(3e9), Gas: 21000, To: &to, Value: big.NewInt(1e18), Data: nil},
		&types.LegacyTx{Nonce: 0, GasPrice: big.NewInt(1), Gas: 53000, To: nil, Value: big.NewInt(0), Data: []byte{0x60, 0x80}},
		&types.AccessListTx{ChainID: chain, Nonce: 1, GasPrice: big.NewInt(2e9), Gas: 30000, To: &to, Value: big.NewInt(5), Data: []byte{1, 2}, AccessList: al},
		&types.DynamicFeeTx{ChainID: chain, Nonce: 2, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(5e10), Gas: 40000, To: &to, Value: big.NewInt(0), Data: []byte{3}, AccessList: al},
		&types.DynamicFeeTx{ChainID: chain, Nonce: 3, GasTipCap: big.NewInt(0), GasFeeCap: big.NewInt(1), Gas: 60000, To: nil, Value: big.NewInt(9)},
		&types.BlobTx{ChainID: uint256.MustFromBig(chain), Nonce: 4, GasTipCap: uint256.NewInt(1e9), GasFeeCap: uint256.NewInt(3e10), Gas: 21000, To: to,
			Value: uint256.NewInt(0), AccessList: al, BlobFeeCap: uint256.NewInt(7), BlobHashes: []common.Hash{{1, 0xaa}, {1, 0xbb}}},
	}
	auth1, _ := types.SignSetCode(key2, types.SetCodeAuthorization{ChainID: *uint256.MustFromBig(chain), Address: to, Nonce: 5})
	auth2, _ := types.SignSetCode(key2, types.SetCodeAuthorization{ChainID: *uint256.NewInt(0), Address: common.Address{}, Nonce: 6})
	txs = append(txs, &types.SetCodeTx{ChainID: uint256.MustFromBig(chain), Nonce: 5, GasTipCap: uint256.NewInt(1e9), GasFeeCap: uint256.NewInt(2e10), Gas: 80000, To: to,
		Value: uint256.NewInt(1), Data: []byte{0xde, 0xad}, AccessList: nil, AuthList: []types.SetCodeAuthorization{auth1, auth2}})
	for _, d := range txs {
		tx := types.MustSignNewTx(key, signer, d)
		b, err := tx.MarshalBinary()
		if err != nil {
			panic(err)
		}
		emit("tx", b, tx)
	}
	// an unprotected (pre-EIP-155) legacy tx
	tx := types.MustSignNewTx(key, types.HomesteadSigner{}, &types.LegacyTx{Nonce: 1, GasPrice: big.NewInt(1), Gas: 21000, To: &to, Value: big.NewInt(2)})
	b, _ := tx.MarshalBinary()
	emit("tx", b, tx)

	logs := []*types.Log{{Address: to, Topics: []common.Hash{{9}, {8}}, Data: []byte{1, 2, 3}}, {Address: common.Address{1}, Topics: nil, Data: nil}}
	for _, typ := range []uint8{0, 1, 2, 3, 4} {
		for _, status := range []uint64{0, 1} {
			r := &types.Receipt{Type: typ, Status: status, CumulativeGasUsed: 123456, Logs: logs}
			r.Bloom = types.CreateBloom(r)
			b, err := r.MarshalBinary()
			if err != nil {
				panic(err)
			}
			emit("rct", b, r)
		}
	}
	pre := &types.Receipt{Type: 0, PostState: common.Hash{0x42}.Bytes(), CumulativeGasUsed: 21000, Logs: nil}
	pre.Bloom = types.CreateBloom(pre)
	b, _ = pre.MarshalBinary()
	emit("rct", b, pre)

	base := types.Header{ParentHash: common.Hash{1}, UncleHash: types.EmptyUncleHash, Coinbase: to, Root: common.Hash{2},
		TxHash: types.EmptyTxsHash, ReceiptHash: types.EmptyReceiptsHash, Difficulty: big.NewInt(0), Number: big.NewInt(22431084),
		GasLimit: 36000000, GasUsed: 1234, Time: 1746612311, Extra: []byte("geth"), MixDigest: common.Hash{3}}
	h := base
	h.Difficulty = big.NewInt(131072)
	emit("header", rlpBytes(&h), &h)
	h.BaseFee = big.NewInt(7)
	emit("header", rlpBytes(&h), &h)
	h.Difficulty = big.NewInt(0)
	wh := types.EmptyWithdrawalsHash
	h.WithdrawalsHash = &wh
	emit("header", rlpBytes(&h), &h)
	bg, ebg := uint64(393216), uint64(0)
	pbr := common.Hash{4}
	h.BlobGasUsed, h.ExcessBlobGas, h.ParentBeaconRoot = &bg, &ebg, &pbr
	emit("header", rlpBytes(&h), &h)
	rh := types.EmptyRequestsHash
	h.RequestsHash = &rh
	emit("header", rlpBytes(&h), &h)
}

func rlpBytes(h *types.Header) []byte {
	b, err := rlp.EncodeToBytes(h)
	if err != nil {
		panic(err)
	}
	return b
}
