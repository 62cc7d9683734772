package httpapi

import (
	"encoding/json"
	"errors"
)

// mergePatch applies an RFC 7396 JSON merge patch to doc: objects merge recursively, null removes a member,
// anything else replaces.
func mergePatch(doc, patch []byte) ([]byte, error) {
	var d, p any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	// RFC 7396 lets any other value replace the whole document; no resource of this API is anything but an
	// object, so such a patch (null above all, which would empty it) is a mistake.
	if _, ok := p.(map[string]any); !ok {
		return nil, errors.New("a merge patch must be a JSON object")
	}
	return json.Marshal(mergeValue(d, p))
}

func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergeValue(tm[k], v)
	}
	return tm
}
