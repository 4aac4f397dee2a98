package cargometa

import "testing"

func TestPinStableDefaults(t *testing.T) {
	for _, c := range []struct {
		release string
		env     []string
		want    bool
	}{
		{"1.95.0", nil, true},
		{"1.96.0-beta.3", nil, true},
		{"1.97.0-nightly", nil, false},
		{"1.97.0-dev", nil, false},
		{"1.95.0", []string{"RUSTC_BOOTSTRAP=1"}, false},       // the user's own nightly behaviour
		{"1.95.0", []string{"RUSTC_BOOTSTRAP=mycrate"}, false}, // ditto, for one crate
		{"1.95.0", []string{"RUSTC_BOOTSTRAP=0"}, true},
		{"1.95.0", []string{"RUSTC_BOOTSTRAP=-1"}, true},
	} {
		if got := pinStableDefaults(c.release, c.env); got != c.want {
			t.Errorf("pinStableDefaults(%q, %q) = %v, want %v", c.release, c.env, got, c.want)
		}
	}
}
