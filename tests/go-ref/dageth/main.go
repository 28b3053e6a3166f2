// Command dageth-ref decodes Ethereum IPLD blocks with the reference codec
// go-codec-dageth (github.com/vulcanize/go-codec-dageth v0.1.0) and prints the data model as
// DAG-JSON, one result per input line, for autocodec's differential tests.
//
// Input (stdin), one block per line: "<multicodec code, decimal> <block bytes, hex>".
// Output (stdout), one line per input: {"ok": <DAG-JSON of the decoded node>} or
// {"error": "<message>"}. Blocks are decoded into an untyped node (basicnode), which is the
// data model a generic IPLD LinkSystem load gives.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/codec/dagjson"
	basicnode "github.com/ipld/go-ipld-prime/node/basic"

	"github.com/vulcanize/go-codec-dageth/header"
	"github.com/vulcanize/go-codec-dageth/log"
	"github.com/vulcanize/go-codec-dageth/log_trie"
	"github.com/vulcanize/go-codec-dageth/rct"
	"github.com/vulcanize/go-codec-dageth/rct_trie"
	state_account "github.com/vulcanize/go-codec-dageth/state_account"
	"github.com/vulcanize/go-codec-dageth/state_trie"
	"github.com/vulcanize/go-codec-dageth/storage_trie"
	"github.com/vulcanize/go-codec-dageth/tx"
	"github.com/vulcanize/go-codec-dageth/tx_trie"
	"github.com/vulcanize/go-codec-dageth/uncles"
)

var decoders = map[uint64]func(ipld.NodeAssembler, []byte) error{
	0x90: header.DecodeBytes,
	0x91: uncles.DecodeBytes,
	0x92: tx_trie.DecodeBytes,
	0x93: tx.DecodeBytes,
	0x94: rct_trie.DecodeBytes,
	0x95: rct.DecodeBytes,
	0x96: state_trie.DecodeBytes,
	0x97: state_account.DecodeBytes,
	0x98: storage_trie.DecodeBytes,
	0x99: log_trie.DecodeBytes,
	0x9a: log.DecodeBytes,
}

func decode(line string) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	parts := strings.Fields(line)
	if len(parts) != 2 && len(parts) != 1 {
		return nil, fmt.Errorf("bad input line")
	}
	code, err := strconv.ParseUint(parts[0], 10, 64)
	if err != nil {
		return nil, err
	}
	var data []byte
	if len(parts) == 2 {
		if data, err = hex.DecodeString(parts[1]); err != nil {
			return nil, err
		}
	}
	dec, ok := decoders[code]
	if !ok {
		return nil, fmt.Errorf("no decoder for 0x%x", code)
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dec(nb, data); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := dagjson.Encode(nb.Build(), &buf); err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, buf.Bytes()); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "mainnet-alloc" {
		w := bufio.NewWriter(os.Stdout)
		defer w.Flush()
		for addr, acc := range core.DefaultGenesisBlock().Alloc {
			fmt.Fprintf(w, "%x %x\n", addr[:], acc.Balance.Bytes())
		}
		return
	}
	if len(os.Args) == 2 && os.Args[1] == "mainnet-genesis" {
		enc, err := rlp.EncodeToBytes(core.DefaultGenesisBlock().ToBlock(nil).Header())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%x\n", enc)
		return
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for in.Scan() {
		out, err := decode(in.Text())
		if err != nil {
			msg, _ := json.Marshal(err.Error())
			fmt.Fprintf(w, "{\"error\":%s}\n", msg)
			continue
		}
		fmt.Fprintf(w, "{\"ok\":%s}\n", out)
	}
}
