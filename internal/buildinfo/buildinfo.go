package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Unknown is the value of a field the binary does not carry.
const Unknown = "unknown"

// Info identifies a build. Read returns the running binary's.
type Info struct {
	// Version is the main module's version: a tag such as v1.2.0, a
	// pseudo-version, "(devel)" for a build without version information,
	// or Unknown when the binary carries no build information at all.
	Version string
	// Revision is the VCS commit the binary was built from, Unknown when
	// it was not stamped (go run, go test, -buildvcs=false).
	Revision string
	// Time is the commit time of Revision (RFC 3339), Unknown when not
	// stamped.
	Time string
	// Modified reports that the working tree had uncommitted changes.
	Modified bool
	// GoVersion is the Go toolchain that built the binary (go1.26.8).
	GoVersion string
	// Platform is GOOS/GOARCH of the binary.
	Platform string
}

// Read returns the build information of the running binary.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts Info from bi (nil: nothing is known but the Go
// version and platform of the running binary).
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{
		Version: Unknown, Revision: Unknown, Time: Unknown,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi == nil {
		return info
	}
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		info.Platform = goos + "/" + goarch
	}
	return info
}

// String is the text of `chatflow version`: the version on the first line,
// then one "name: value" line per field.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chatflow %s\n", i.Version)
	rev := i.Revision
	if i.Modified {
		rev += " (modified)"
	}
	fmt.Fprintf(&b, "revision: %s\n", rev)
	fmt.Fprintf(&b, "time: %s\n", i.Time)
	fmt.Fprintf(&b, "go: %s %s\n", i.GoVersion, i.Platform)
	return b.String()
}
