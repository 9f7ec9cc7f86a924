//go:build !unix

package main

import "os"

// maxRSSKiB is unknown on this platform; the report leaves it blank.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
