package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: values keep their 8 most significant bits, so a recorded value is
// off by less than 1/128 (0.8%) at any magnitude, from nanoseconds to hours, in a fixed 60 KB array.
const subBits = 8

const (
	subCount   = 1 << subBits       // 256: values below this are exact
	halfCount  = subCount / 2       // 128 buckets per power of two above that
	numBuckets = 57*halfCount + 256 // enough for any int64
)

// Histogram is an HDR-style log-linear latency histogram. The zero value is ready to use. It is not safe for
// concurrent use: give each goroutine its own and Merge them.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    float64
	min    int64
	max    int64
}

func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits
	return shift*halfCount + int(v>>shift)
}

// valueOf is the middle of the bucket's range.
func valueOf(idx int) int64 {
	if idx < subCount {
		return int64(idx)
	}
	shift := idx/halfCount - 1
	m := int64(idx - shift*halfCount)
	low := m << shift
	return low + (int64(1)<<shift)/2
}

// Record adds one latency (negative values count as 0).
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
}

// Merge adds every value of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min is the smallest recorded value, exactly.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean is the exact mean.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the value at quantile q (0..1): the smallest value such that a fraction q of the
// recorded values are at or below it, within the histogram's precision, clamped to [Min, Max].
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := valueOf(i)
			v = max(v, h.min)
			v = min(v, h.max)
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}
