package buildinfo_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/chatflow/chatflow/internal/buildinfo"
)

func TestFromBuildInfo(t *testing.T) {
	host := runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want buildinfo.Info
		text string
	}{
		{
			name: "release build",
			bi: &debug.BuildInfo{
				GoVersion: "go1.26.8",
				Main:      debug.Module{Path: "github.com/chatflow/chatflow", Version: "v1.2.0"},
				Settings: []debug.BuildSetting{
					{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"},
					{Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "4a49832c1f0e5d6b7a8c9d0e1f2a3b4c5d6e7f80"},
					{Key: "vcs.time", Value: "2026-12-04T18:57:51Z"},
					{Key: "vcs.modified", Value: "false"},
				},
			},
			want: buildinfo.Info{
				Version: "v1.2.0", Revision: "4a49832c1f0e5d6b7a8c9d0e1f2a3b4c5d6e7f80", Time: "2026-12-04T18:57:51Z",
				GoVersion: "go1.26.8", Platform: "darwin/arm64",
			},
			text: "chatflow v1.2.0\nrevision: 4a49832c1f0e5d6b7a8c9d0e1f2a3b4c5d6e7f80\ntime: 2026-12-04T18:57:51Z\ngo: go1.26.8 darwin/arm64\n",
		},
		{
			name: "modified tree",
			bi: &debug.BuildInfo{
				GoVersion: "go1.26.8",
				Main:      debug.Module{Version: "v0.0.0-20261204185751-4a49832c1f0e+dirty"},
				Settings: []debug.BuildSetting{
					{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
					{Key: "vcs.revision", Value: "4a49832c1f0e"},
					{Key: "vcs.time", Value: "2026-12-04T18:57:51Z"},
					{Key: "vcs.modified", Value: "true"},
				},
			},
			want: buildinfo.Info{
				Version: "v0.0.0-20261204185751-4a49832c1f0e+dirty", Revision: "4a49832c1f0e", Time: "2026-12-04T18:57:51Z",
				Modified: true, GoVersion: "go1.26.8", Platform: "linux/amd64",
			},
			text: "chatflow v0.0.0-20261204185751-4a49832c1f0e+dirty\nrevision: 4a49832c1f0e (modified)\ntime: 2026-12-04T18:57:51Z\ngo: go1.26.8 linux/amd64\n",
		},
		{
			name: "go run",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want: buildinfo.Info{Version: "(devel)", Revision: "unknown", Time: "unknown", GoVersion: "go1.26.8", Platform: host},
			text: "chatflow (devel)\nrevision: unknown\ntime: unknown\ngo: go1.26.8 " + host + "\n",
		},
		{
			name: "no build information",
			want: buildinfo.Info{Version: "unknown", Revision: "unknown", Time: "unknown", GoVersion: runtime.Version(), Platform: host},
			text: "chatflow unknown\nrevision: unknown\ntime: unknown\ngo: " + runtime.Version() + " " + host + "\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := buildinfo.FromBuildInfo(tc.bi)
			if got != tc.want {
				t.Errorf("FromBuildInfo = %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != tc.text {
				t.Errorf("String =\n%s\nwant\n%s", s, tc.text)
			}
		})
	}
}

func TestRead(t *testing.T) {
	// A test binary has build information but no VCS stamp.
	got := buildinfo.Read()
	if got.Version == "" || got.GoVersion != runtime.Version() || got.Revision == "" {
		t.Errorf("Read = %+v", got)
	}
}
