// Reads hex-encoded texts, one a line, and writes what Go's time.ParseDuration makes of each:
// the nanoseconds, or "ERR " and its error. tests/test_go_duration.py compares autocodec's
// reading (autocodec/_gotime.py) line by line.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		text, err := hex.DecodeString(in.Text())
		if err != nil {
			fmt.Fprintln(os.Stderr, "not hex:", err)
			os.Exit(2)
		}
		d, err := time.ParseDuration(string(text))
		if err != nil {
			fmt.Fprintln(out, "ERR "+err.Error())
		} else {
			fmt.Fprintln(out, int64(d))
		}
	}
}
