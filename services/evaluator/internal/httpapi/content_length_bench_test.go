package httpapi

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/labstack/echo/v4"
)

// BenchmarkContentLength compares the shared Content-Length values with the plain alternative,
// strconv.Itoa into a new slice, over answers of nearly the same length (one environment's /flags answers).
func BenchmarkContentLength(b *testing.B) {
	h := http.Header{}
	b.Run("cache", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			h[echo.HeaderContentLength] = contentLengthValue(9800 + i%64)
			i++
		}
	})
	b.Run("strconv.Itoa", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			h[echo.HeaderContentLength] = []string{strconv.Itoa(9800 + i%64)}
			i++
		}
	})
}
