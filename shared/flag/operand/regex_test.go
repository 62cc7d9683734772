package operand

import "testing"

// TestCompileRegex pins the Unicode-aware Perl classes of Rust's regex crate (fancy_regex delegates
// to it; property_matching.rs compiles filter values with RegexBuilder::new, Unicode on by default).
func TestCompileRegex(t *testing.T) {
	tests := []struct {
		pattern, input string
		want           bool
	}{
		{`\w+@corp\.com`, "josé@corp.com", true},
		{`^\w+$`, "naïve", true},
		{`^\d+$`, "١٢٣", true}, // Arabic-Indic digits are \p{Nd}
		{`^\d+$`, "12a", false},
		{`a\sb`, "a\u00a0b", true}, // no-break space is White_Space
		{`a\sb`, "a\vb", true},     // Go's \s lacks \v
		{`^\S+$`, "a\u00a0b", false},
		{`^\W$`, "é", false},
		{`^\D$`, "٣", false},
		{`^[\w.]+$`, "é.e", true},
		{`^[\w-z]+$`, "a-z", true}, // '-' after a class escape is a literal
		{`^[^\d]+$`, "abc", true},
		{`^[^\d]+$`, "a٣", false},
		{`\\d`, `\d`, true}, // an escaped backslash stays one
		{`^\p{Greek}+$`, "αβ", true},
		{`[[:alpha:]\d]+`, "x", true},
		{`(?i)ÉCOLE`, "école", true},
		{`re-use \w`, "re-use é", true}, // a '-u' outside a flag group changes nothing
	}
	for _, tt := range tests {
		re, err := CompileRegex(tt.pattern)
		if err != nil {
			t.Errorf("%q: %v", tt.pattern, err)
			continue
		}
		if got := re.MatchString(tt.input); got != tt.want {
			t.Errorf("%q on %q = %v, want %v (compiled %q)", tt.pattern, tt.input, got, tt.want, re.String())
		}
	}
}

func TestCompileRegexCachesByPattern(t *testing.T) {
	a, errA := CompileRegex(`^\w+@corp\.com$`)
	b, errB := CompileRegex(`^\w+@corp\.com$`)
	if errA != nil || errB != nil || a != b {
		t.Fatalf("the same pattern compiled twice: %p %v, %p %v", a, errA, b, errB)
	}
	if _, err := CompileRegex(`(?<=x)y`); err == nil {
		t.Fatal("a look-behind compiled")
	}
	if _, err := CompileRegex(`(?<=x)y`); err == nil {
		t.Fatal("a cached failure was forgotten")
	}
}
