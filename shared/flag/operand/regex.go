package operand

import (
	"regexp"
	"strings"
	"sync"
)

// Rust's regex crate (which fancy_regex, PostHog's engine, delegates to) is Unicode-aware by default:
// \d is \p{Nd}, \s is White_Space, \w is Alphabetic + marks + digits + connector punctuation + joiners.
// Go's RE2 gives the ASCII classes. CompileRegex rewrites those escapes into the Unicode classes Go has,
// so "\w+@corp\.com" matches "josé@corp.com" here as it does in PostHog. Left as they are: \b and \B
// (Go has only the ASCII word boundary), \W and \S inside a bracket class (no way to write a negated
// union there), and patterns that turn Unicode off with a (?-u) flag group.
const (
	uniDigit = `\p{Nd}`
	uniWord  = `\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}`
	uniSpace = `\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`
)

// CompileRegex compiles a regex/not_regex filter value with Rust's Unicode class semantics. Results are
// cached by pattern: every snapshot an evaluator applies recompiles its environment, and most patterns
// are the same as in the previous snapshot (a *regexp.Regexp is safe for concurrent use).
func CompileRegex(pattern string) (*regexp.Regexp, error) {
	regexCache.mu.Lock()
	defer regexCache.mu.Unlock()
	if e, ok := regexCache.m[pattern]; ok {
		return e.re, e.err
	}
	re, err := regexp.Compile(UnicodeClasses(pattern))
	if len(regexCache.m) >= maxCachedRegexes {
		clear(regexCache.m) // a crude bound: patterns come from flag definitions, so this is rare
	}
	regexCache.m[pattern] = compiledRegex{re, err}
	return re, err
}

const maxCachedRegexes = 20_000

type compiledRegex struct {
	re  *regexp.Regexp
	err error
}

var regexCache = struct {
	mu sync.Mutex
	m  map[string]compiledRegex
}{m: map[string]compiledRegex{}}

// UnicodeClasses rewrites \d \D \w \W \s \S as described above.
func UnicodeClasses(p string) string {
	if !strings.Contains(p, `\`) || unicodeOff(p) {
		return p
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			i++
			cls := classFor(p[i], inClass)
			b.WriteString(cls)
			// In a bracket class "\w-z" is \w, '-' and 'z'; the expansion must not turn it into a range.
			if inClass && len(cls) > 2 && i+1 < len(p) && p[i+1] == '-' {
				i++
				b.WriteString(`\-`)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal, not the end of the class.
			if i+1 < len(p) && p[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++
				b.WriteByte(']')
			}
		case c == '[' && inClass && i+1 < len(p) && p[i+1] == ':':
			// A POSIX class such as [:alpha:] inside a bracket class: copy it whole.
			if end := strings.Index(p[i:], ":]"); end > 0 {
				b.WriteString(p[i : i+end+2])
				i += end + 1
			} else {
				b.WriteByte(c)
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func classFor(e byte, inClass bool) string {
	switch e {
	case 'd':
		return uniDigit
	case 'D':
		return `\P{Nd}`
	case 'w':
		if inClass {
			return uniWord
		}
		return "[" + uniWord + "]"
	case 's':
		if inClass {
			return uniSpace
		}
		return "[" + uniSpace + "]"
	case 'W':
		if !inClass {
			return "[^" + uniWord + "]"
		}
	case 'S':
		if !inClass {
			return "[^" + uniSpace + "]"
		}
	}
	return `\` + string(e)
}

// unicodeOff reports a flag group that clears u, such as "(?-u)" or "(?i-u:...)".
func unicodeOff(p string) bool {
	for i := strings.Index(p, "(?"); i >= 0; {
		j := i + 2
		neg := false
		for ; j < len(p) && p[j] != ')' && p[j] != ':'; j++ {
			switch p[j] {
			case '-':
				neg = true
			case 'u':
				if neg {
					return true
				}
			}
		}
		next := strings.Index(p[i+2:], "(?")
		if next < 0 {
			break
		}
		i += 2 + next
	}
	return false
}
