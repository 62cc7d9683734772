package httpapi

import "testing"

func BenchmarkAppendJSONString(b *testing.B) {
	b.ReportAllocs()
	dst := make([]byte, 0, 256)
	for b.Loop() {
		dst = appendJSONString(dst[:0], "Matched condition set 1")
		dst = appendJSONString(dst, "condition_match")
		dst = appendJSONString(dst, "héllo wörld, some <html> & \"quotes\"")
	}
}
