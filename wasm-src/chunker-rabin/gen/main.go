// Command gen prints chunk ends computed by Kubo's own chunker code (boxo v0.43.0, the
// version Kubo v0.43.1 builds with), for the chunker-rabin test vectors and tests.
//
// Usage: go run . SPEC SEED LENGTH   (SPEC as Kubo's --chunker, e.g. rabin-16-64-128)
// Input: the deterministic generator of docs/abi.md section 5 (xorshift64*).
// Output: one JSON array of absolute chunk end offsets.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	chunk "github.com/ipfs/boxo/chunker"
)

func xorshift(seed uint64, length int) []byte {
	s := seed
	if s == 0 {
		s = 1
	}
	out := make([]byte, 0, length+8)
	var word [8]byte
	for len(out) < length {
		s ^= s >> 12
		s ^= s << 25
		s ^= s >> 27
		binary.LittleEndian.PutUint64(word[:], s*0x2545F4914F6CDD1D)
		out = append(out, word[:]...)
	}
	return out[:length]
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gen SPEC SEED LENGTH")
		os.Exit(2)
	}
	seed, err1 := strconv.ParseUint(os.Args[2], 10, 64)
	length, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "gen: SEED and LENGTH must be integers")
		os.Exit(2)
	}
	spl, err := chunk.FromString(bytes.NewReader(xorshift(seed, length)), os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	ends := []uint64{}
	var pos uint64
	for {
		b, err := spl.NextBytes()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		pos += uint64(len(b))
		ends = append(ends, pos)
	}
	json.NewEncoder(os.Stdout).Encode(ends)
}
