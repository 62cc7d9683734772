package logging

import (
	"net/url"
	"regexp"
	"strings"
)

// mask replaces every secret these functions find.
const mask = "redacted"

// RedactPostgres masks the password of a PostgreSQL connection string: a URL's (in its user info or a
// password query parameter) or a key=value DSN's password=… (quoted or not).
func RedactPostgres(s string) string {
	if !strings.Contains(s, "://") {
		return dsnPassword.ReplaceAllString(s, "${1}${2}="+mask)
	}
	return redactURL(s, true)
}

// dsnPassword matches password=… and sslpassword=… in a key=value DSN; a quoted value may hold spaces and
// escaped quotes, and an unterminated one runs to the end.
var dsnPassword = regexp.MustCompile(`(?i)(^|\s)(\w*password)\s*=\s*('(?:\\.|[^'\\])*(?:'|$)|\S*)`)

// RedactNATS masks the credentials of every URL in a comma-separated NATS server list: the password of
// user:password@, and the whole user info when it is a token (token@).
func RedactNATS(list string) string {
	urls := strings.Split(list, ",")
	for i, u := range urls {
		u = strings.TrimSpace(u)
		switch {
		case u == "":
			urls[i] = u
		case strings.Contains(u, "://"):
			urls[i] = redactURL(u, false)
		default: // the NATS client reads host:port and user:password@host:port as nats:// URLs
			urls[i] = strings.TrimPrefix(redactURL("nats://"+u, false), "nats://")
		}
	}
	return strings.Join(urls, ",")
}

// redactURL masks the password of s's user info, or all of it when there is no password and keepUser is
// false (a token). Query parameters whose name holds "password" are masked too. When s does not parse as a
// URL, or parses without user info while an @ follows the host, everything between :// and the last @
// before the query is masked: a secret that confuses the parser must not leak either.
func redactURL(s string, keepUser bool) string {
	u, err := url.Parse(s)
	if err != nil || (u.User == nil && hasUserInfo(s)) {
		return maskAuthority(s)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), mask)
		} else if !keepUser {
			u.User = url.User(mask)
		}
	}
	if q := u.Query(); u.RawQuery != "" {
		masked := false
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, mask)
				masked = true
			}
		}
		if masked {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// hasUserInfo says whether an @ follows :// before the query.
func hasUserInfo(s string) bool {
	rest := s[strings.Index(s, "://")+3:]
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q]
	}
	return strings.Contains(rest, "@")
}

// maskAuthority masks the user info and any password query parameter of a URL the parser refused.
func maskAuthority(s string) string {
	start := strings.Index(s, "://") + 3
	rest := s[start:]
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		s = s[:start] + mask + s[start+at:]
	}
	return queryPassword.ReplaceAllString(s, "${1}"+mask)
}

var queryPassword = regexp.MustCompile(`(?i)([?&]\w*password=)[^&#]*`)
