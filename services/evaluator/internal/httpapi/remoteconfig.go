package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// posthog-js loads its remote configuration from the host it flags from, first as a script
// (/array/<token>/config.js) and then as JSON (/array/<token>/config), before it asks /flags. The evaluator
// answers the configuration PostHog gives a project with every optional product off: no session recording,
// surveys, heatmaps, web vitals, dead clicks, exception or console-log capture, product tours, conversations
// or site apps, and autocapture opted out, since the evaluator discards events anyway. The SDK then loads no
// extension script and only calls /flags (and sends the events the page captures itself, to the sink).

// remoteConfig is PostHog's RemoteConfig as posthog-js reads it, with every optional product off.
//
// It has no "surveys": PostHog sends false (or []) for a project without surveys, and posthog-js then still
// loads its surveys script from the assets host (which is api_host unless asset_host is set), a script the
// evaluator does not serve. Without the field posthog-js leaves surveys unloaded.
type remoteConfig struct {
	Token                 string            `json:"token"`
	SupportedCompression  []string          `json:"supportedCompression"`
	HasFeatureFlags       bool              `json:"hasFeatureFlags"`
	CaptureDeadClicks     bool              `json:"captureDeadClicks"`
	CapturePerformance    bool              `json:"capturePerformance"`
	AutocaptureOptOut     bool              `json:"autocapture_opt_out"`
	AutocaptureExceptions bool              `json:"autocaptureExceptions"`
	ElementsChainAsString bool              `json:"elementsChainAsString"`
	ErrorTracking         errorTrackingOff  `json:"errorTracking"`
	Logs                  map[string]bool   `json:"logs"`
	SessionRecording      bool              `json:"sessionRecording"`
	Heatmaps              bool              `json:"heatmaps"`
	Conversations         bool              `json:"conversations"`
	ProductTours          bool              `json:"productTours"`
	DefaultIdentifiedOnly bool              `json:"defaultIdentifiedOnly"`
	SiteApps              []json.RawMessage `json:"siteApps"`
}

type errorTrackingOff struct {
	AutocaptureExceptions bool              `json:"autocaptureExceptions"`
	SuppressionRules      []json.RawMessage `json:"suppressionRules"`
}

// minimalRemoteConfig is the configuration of the environment whose SDK key is token.
func minimalRemoteConfig(token string, hasFlags bool) remoteConfig {
	return remoteConfig{
		Token:                 token,
		SupportedCompression:  []string{"gzip", "gzip-js"},
		HasFeatureFlags:       hasFlags,
		AutocaptureOptOut:     true,
		ElementsChainAsString: true,
		ErrorTracking:         errorTrackingOff{SuppressionRules: []json.RawMessage{}},
		Logs:                  map[string]bool{"captureConsoleLogs": false},
		DefaultIdentifiedOnly: true,
		SiteApps:              []json.RawMessage{},
	}
}

// tokenShape is what PostHog accepts as a project token in these paths.
var tokenShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// configOf looks up the environment of the path's token and returns its configuration as JSON.
func (s *Server) configOf(c echo.Context) (token string, body []byte, err error) {
	token = c.Param("token")
	if !tokenShape.MatchString(token) {
		return "", nil, apperr.New(apperr.BadRequest, "invalid_token", "the project token in the path is malformed")
	}
	if err := s.limit(token); err != nil {
		return "", nil, err
	}
	env, ok := s.Store.BySDKKey(token)
	if !ok {
		return "", nil, apperr.New(apperr.NotFound, "invalid_token", "no environment has this project token")
	}
	body, err = json.Marshal(minimalRemoteConfig(token, env.Engine.Len() > 0))
	if err != nil {
		return "", nil, apperr.Wrap(err, "encode remote config")
	}
	// Not cached: hasFeatureFlags follows the environment, and a cached false would hide new flags.
	c.Response().Header().Set("Cache-Control", "no-cache")
	return token, body, nil
}

// remoteConfigJSON answers GET /array/<token>/config.
func (s *Server) remoteConfigJSON(c echo.Context) error {
	_, body, err := s.configOf(c)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// remoteConfigJS answers GET /array/<token>/config.js: the script PostHog serves, which stores the
// configuration where posthog-js looks for it.
func (s *Server) remoteConfigJS(c echo.Context) error {
	token, body, err := s.configOf(c)
	if err != nil {
		return err
	}
	quoted, _ := json.Marshal(token) // a token of tokenShape needs no escaping beyond JSON's
	js := make([]byte, 0, len(body)+200)
	js = append(js, "(function() {\n  window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {};\n"...)
	js = append(js, "  window._POSTHOG_REMOTE_CONFIG["...)
	js = append(js, quoted...)
	js = append(js, "] = {config: "...)
	js = append(js, body...)
	js = append(js, ", siteApps: []};\n})();\n"...)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJavaScriptCharsetUTF8, js)
}

// emptyLists are the product APIs posthog-js may call on the same host (when the page asks for surveys,
// early-access features, web experiments or product tours), each answered with PostHog's shape and nothing
// in it.
var emptyLists = map[string][]byte{
	"/api/surveys":               []byte(`{"surveys":[]}` + "\n"),
	"/api/early_access_features": []byte(`{"earlyAccessFeatures":[]}` + "\n"),
	"/api/web_experiments":       []byte(`{"experiments":[]}` + "\n"),
	"/api/product_tours":         []byte(`{"product_tours":[]}` + "\n"),
}

// emptyList answers one of emptyLists' paths.
func emptyList(body []byte) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body) }
}
