// Command tarheader writes, for each input line "NAME_HEX LINK_HEX MODE SIZE MTIME TYPE", the hex of
// the header block(s) Go's archive/tar Writer emits for a Header with those fields (the fields
// boxo's TarWriter sets, as Kubo's `ipfs get -a` and gateway ?format=tar do), one line each.
// The reference for autocodec/unixfs/_tar_header.py (tests/test_s12_tar_bytes.py).
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Fields(in.Text())
		name, _ := hex.DecodeString(f[0])
		link, _ := hex.DecodeString(strings.TrimPrefix(f[1], "-"))
		mode, _ := strconv.ParseInt(f[2], 10, 64)
		size, _ := strconv.ParseInt(f[3], 10, 64)
		mtime, _ := strconv.ParseInt(f[4], 10, 64)
		var buf bytes.Buffer
		w := tar.NewWriter(&buf)
		err := w.WriteHeader(&tar.Header{Name: string(name), Linkname: string(link), Mode: mode, Size: size,
			ModTime: time.Unix(mtime, 0), Typeflag: f[5][0]})
		if err != nil {
			fmt.Fprintf(out, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintf(out, "%s\n", hex.EncodeToString(buf.Bytes()))
	}
}
