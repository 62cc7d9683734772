package eval

// PostHog's flag service never matches person filters against the request's person_properties alone:
// get_person_properties (flags/flag_matching.rs) merges them over what fetch_and_locally_cache_all_
// relevant_properties (flags/flag_matching_utils.rs) loaded, which always carries "distinct_id" set to
// the request's distinct id, and then populate_missing_initial_properties fills every missing
// "$initial_X" from "X" for the properties in INITIAL_PROPERTY_MAP. Halyard has no person store, so the
// engine reproduces both additions when it looks a person property up: a filter on distinct_id sees
// the request's distinct id unless the request sent a distinct_id property, and a filter on
// $initial_utm_source sees utm_source unless $initial_utm_source was sent.

// personFallback says where a person property comes from when the request did not send it.
type personFallback uint8

const (
	fallbackNone       personFallback = iota
	fallbackDistinctID                // "distinct_id": the request's distinct id
	fallbackInitial                   // "$initial_X": the request's "X"
)

// initialSource maps "$initial_X" to "X": INITIAL_PROPERTY_MAP of flag_matching_utils.rs (PostHog's
// PERSON_PROPERTIES_ADAPTED_FROM_EVENT and CAMPAIGN_PROPERTIES), inverted.
var initialSource = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"$app_build", "$app_name", "$app_namespace", "$app_version", "$browser", "$browser_version",
		"$device_type", "$current_url", "$pathname", "$os", "$os_version", "$referring_domain", "$referrer",
		"$screen_height", "$screen_width", "$viewport_height", "$viewport_width", "$raw_user_agent",
		"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "gad_source",
		"gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "twclid", "li_fat_id", "mc_cid",
		"igshid", "ttclid", "rdt_cid", "epik", "qclid", "sccid", "irclid", "_kx",
	} {
		if k[0] == '$' {
			m["$initial_"+k[1:]] = k
		} else {
			m["$initial_"+k] = k
		}
	}
	return m
}()

// fallbackFor decides, at compile time, how a person filter on key is completed.
func fallbackFor(key string) (personFallback, string) {
	if key == "distinct_id" {
		return fallbackDistinctID, ""
	}
	if src, ok := initialSource[key]; ok {
		return fallbackInitial, src
	}
	return fallbackNone, ""
}

// personValue looks p's key up in the person properties as PostHog sees them (see the top of the file).
func (r *run) personValue(p *prop) (any, bool) {
	props := r.c.PersonProperties
	if v, ok := props[p.key]; ok {
		return v, true
	}
	switch p.fallback {
	case fallbackDistinctID:
		if !r.distinctSet {
			r.distinct, r.distinctSet = r.c.DistinctID, true // boxed once per evaluation call
		}
		return r.distinct, true
	case fallbackInitial:
		v, ok := props[p.fallbackKey]
		return v, ok
	}
	return nil, false
}

// personHas is contains_key on the completed person properties, for the super-group relevance check.
func (r *run) personHas(p *prop) bool {
	_, ok := r.personValue(p)
	return ok
}
