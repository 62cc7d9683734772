package logging

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedactPostgres(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no credentials", "postgres://db:5432/halyard?sslmode=disable", "postgres://db:5432/halyard?sslmode=disable"},
		{"user only", "postgres://halyard@db/halyard", "postgres://halyard@db/halyard"},
		{"user and password", "postgres://halyard:s3cret@db:5432/halyard?sslmode=require", "postgres://halyard:redacted@db:5432/halyard?sslmode=require"},
		{"postgresql scheme", "postgresql://u:s3cret@db/x", "postgresql://u:redacted@db/x"},
		{"escaped password", "postgres://u:p%40ss%2Fw@db/x", "postgres://u:redacted@db/x"},
		{"empty password", "postgres://u:@db/x", "postgres://u:redacted@db/x"},
		{"password parameter", "postgres://u@db/x?password=s3cret&sslmode=disable", "postgres://u@db/x?password=redacted&sslmode=disable"},
		{"sslpassword parameter", "postgres://db/x?sslpassword=s3cret", "postgres://db/x?sslpassword=redacted"},
		{"unparseable: @ and / in the password", "postgres://u:12/x@y@db/halyard", "postgres://redacted@db/halyard"},
		{"unparseable: bad escape", "postgres://u:50%@db/x?password=a%zz", "postgres://redacted@db/x?password=redacted"},
		{"dsn", "host=db user=halyard password=s3cret dbname=halyard", "host=db user=halyard password=redacted dbname=halyard"},
		{"dsn first", "password=s3cret host=db", "password=redacted host=db"},
		{"dsn spaces around =", "host=db password = s3cret sslmode=disable", "host=db password=redacted sslmode=disable"},
		{"dsn quoted", `host=db password='it\'s a secret' dbname=x`, "host=db password=redacted dbname=x"},
		{"dsn unterminated quote", "host=db password='s3cret and more", "host=db password=redacted"},
		{"dsn upper case", "HOST=db PASSWORD=s3cret", "HOST=db PASSWORD=redacted"},
		{"dsn sslpassword", "host=db sslpassword=s3cret", "host=db sslpassword=redacted"},
		{"dsn without password", "host=db user=halyard", "host=db user=halyard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RedactPostgres(tc.in)); diff != "" {
				t.Errorf("RedactPostgres(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestRedactNATS(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no credentials", "nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"user and password", "nats://halyard:s3cret@nats:4222", "nats://halyard:redacted@nats:4222"},
		{"token", "nats://s3cret-token@nats:4222", "nats://redacted@nats:4222"},
		{"tls and websocket schemes", "tls://u:s3cret@nats:4222,wss://t0ken@nats:443", "tls://u:redacted@nats:4222,wss://redacted@nats:443"},
		{"every URL of a list", "nats://u:a@n1:4222,nats://n2:4222,nats://u:b@n3:4222", "nats://u:redacted@n1:4222,nats://n2:4222,nats://u:redacted@n3:4222"},
		{"spaces in a list", "nats://n1:4222, nats://u:s3cret@n2:4222", "nats://n1:4222,nats://u:redacted@n2:4222"},
		{"no scheme", "u:s3cret@n1:4222,t0ken@n2:4222,n3:4222", "u:redacted@n1:4222,redacted@n2:4222,n3:4222"},
		{"unparseable password", "nats://u:s3/cr@et@nats:4222", "nats://redacted@nats:4222"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RedactNATS(tc.in)); diff != "" {
				t.Errorf("RedactNATS(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// FuzzRedactPostgres checks that a password, however odd, leaves nothing of itself in a URL or a quoted DSN
// value: the output is exactly the masked one.
func FuzzRedactPostgres(f *testing.F) {
	for _, seed := range []string{"s3cret", "p@ss/w?rd#1", "it's", `back\slash`, "50%", "with space", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, password string) {
		escaped := url.UserPassword("u", password).String()[2:]
		in := "postgres://u:" + escaped + "@db.example:5432/halyard"
		if out := RedactPostgres(in); out != "postgres://u:redacted@db.example:5432/halyard" && out != "postgres://redacted@db.example:5432/halyard" {
			t.Errorf("RedactPostgres(%q) = %q", in, out)
		}
		quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password)
		in = "host=db.example password='" + quoted + "' dbname=halyard"
		if out := RedactPostgres(in); out != "host=db.example password=redacted dbname=halyard" {
			t.Errorf("RedactPostgres(%q) = %q", in, out)
		}
	})
}

// FuzzRedactNATS checks the same of a token and of a password in a NATS server list. A secret with a comma
// is left out: the NATS client splits the list at every comma as RedactNATS does, so such a secret has to
// be written %2C anyway.
func FuzzRedactNATS(f *testing.F) {
	for _, seed := range []string{"t0ken", "p@ss/w?rd#1", "", "50%"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		if strings.Contains(secret, ",") {
			t.Skip("the client splits the list at commas")
		}
		token := url.User(secret).String()
		in := "nats://n1:4222,nats://" + token + "@n2:4222"
		if out := RedactNATS(in); out != "nats://n1:4222,nats://redacted@n2:4222" {
			t.Errorf("RedactNATS(%q) = %q", in, out)
		}
		password := url.UserPassword("u", secret).String()[2:]
		in = "nats://u:" + password + "@n1:4222"
		if out := RedactNATS(in); out != "nats://u:redacted@n1:4222" && out != "nats://redacted@n1:4222" {
			t.Errorf("RedactNATS(%q) = %q", in, out)
		}
	})
}
