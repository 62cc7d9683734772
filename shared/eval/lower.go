package eval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// rustLower is Rust's str::to_lowercase, which the exact/is_not operators compare through. It differs
// from strings.ToLower in the two places Unicode's SpecialCasing makes lowercasing context- or
// length-dependent: 'İ' (U+0130) becomes "i̇" (i + U+0307, Go gives plain 'i'), and 'Σ' becomes final 'ς'
// at the end of a word (Go always gives 'σ'), per core::str::to_lowercase's map_uppercase_sigma.
func rustLower(s string) string {
	if !strings.ContainsRune(s, 'İ') && !strings.ContainsRune(s, 'Σ') {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range s {
		switch r {
		case 'İ':
			b.WriteString("i\u0307")
		case 'Σ':
			if finalSigma(s, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma: a cased letter before (skipping case-ignorables) and none after (skipping them too).
func finalSigma(s string, i int) bool {
	before := s[:i]
	for len(before) > 0 {
		r, n := utf8.DecodeLastRuneInString(before)
		before = before[:len(before)-n]
		if caseIgnorable(r) {
			continue
		}
		if !cased(r) {
			return false
		}
		after := s[i+len("Σ"):]
		for len(after) > 0 {
			r, n := utf8.DecodeRuneInString(after)
			after = after[n:]
			if caseIgnorable(r) {
				continue
			}
			return !cased(r)
		}
		return true
	}
	return false
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.In(r, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable approximates Unicode's Case_Ignorable: marks, format characters, modifier letters and
// symbols, and the word-internal punctuation of Word_Break MidLetter/MidNumLet/Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', '\u00B7', '\u0387', '\u05F4', '\u2018', '\u2019', '\u2024', '\u2027',
		'\uFE13', '\uFE52', '\uFE55', '\uFF07', '\uFF0E', '\uFF1A':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
