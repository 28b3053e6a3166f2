// Prints the multiformats tables Kubo v0.43.1 is built with, as CSV for autocodec/_multiformats.csv:
// go-multicodec v0.10.0 (every known code: name, tag, code), go-multihash v0.2.3 (its names of hash
// functions) and boxo's verifcid default allow-list, go-multibase v0.3.0 (names and prefixes).
// Regenerate: cd tools/multiformats-table && go run . > ../../autocodec/_multiformats.csv
package main

import (
	"fmt"
	"sort"
	"unicode/utf8"

	verifcid "github.com/ipfs/boxo/verifcid"
	mbase "github.com/multiformats/go-multibase"
	mc "github.com/multiformats/go-multicodec"
	mh "github.com/multiformats/go-multihash"
)

func main() {
	fmt.Println("table,name,tag,code")
	for _, code := range mc.KnownCodes() {
		fmt.Printf("multicodec,%s,%s,%d\n", code.String(), code.Tag(), uint64(code))
	}
	var hashes []uint64
	for code := range mh.Codes {
		hashes = append(hashes, code)
	}
	sort.Slice(hashes, func(i, j int) bool { return hashes[i] < hashes[j] })
	for _, code := range hashes {
		allowed := "no"
		if verifcid.DefaultAllowlist.IsAllowed(code) {
			allowed = "allowed"
		}
		fmt.Printf("multihash,%s,%s,%d\n", mh.Codes[code], allowed, code)
	}
	var bases []int
	for code := range mbase.EncodingToStr {
		bases = append(bases, int(code))
	}
	sort.Ints(bases)
	for _, code := range bases {
		fmt.Printf("multibase,%s,,%d\n", mbase.EncodingToStr[mbase.Encoding(code)], code)
	}
	// base256emoji's alphabet: the encoding of the bytes 0..255, in order (without the prefix)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	text, err := mbase.Encode(mbase.Base256Emoji, all)
	if err != nil {
		panic(err)
	}
	_, size := utf8.DecodeRuneInString(text)
	fmt.Printf("alphabet,base256emoji,,%s\n", text[size:])
}
