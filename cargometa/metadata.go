package cargometa

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Metadata is the subset of `cargo metadata --format-version 1` rbuild uses.
type Metadata struct {
	Packages         []*Package `json:"packages"`
	WorkspaceMembers []string   `json:"workspace_members"`
	WorkspaceRoot    string     `json:"workspace_root"`
	TargetDirectory  string     `json:"target_directory"`
}

type Package struct {
	Name         string              `json:"name"`
	Version      string              `json:"version"`
	ID           string              `json:"id"`
	Source       *string             `json:"source"`
	Authors      []string            `json:"authors"`
	Description  *string             `json:"description"`
	Homepage     *string             `json:"homepage"`
	Repository   *string             `json:"repository"`
	License      *string             `json:"license"`
	LicenseFile  *string             `json:"license_file"`
	Readme       *string             `json:"readme"`
	RustVersion  *string             `json:"rust_version"`
	Links        *string             `json:"links"`
	ManifestPath string              `json:"manifest_path"`
	Features     map[string][]string `json:"features"`
	Targets      []struct {
		Kind       []string `json:"kind"`
		CrateTypes []string `json:"crate_types"`
		Name       string   `json:"name"`
		SrcPath    string   `json:"src_path"`
	} `json:"targets"`
	Edition    string  `json:"edition"`
	DefaultRun *string `json:"default_run"`
}

func ParseMetadata(data []byte) (*Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not valid cargo metadata: %w", jsonErr(data, err))
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// check validates what the plan relies on (also for a cached query).
func (m *Metadata) check() error {
	if m.WorkspaceRoot == "" {
		return fmt.Errorf("cargo metadata has no workspace_root")
	}
	for i, p := range m.Packages {
		if p == nil {
			return fmt.Errorf("cargo metadata: package %d is null", i)
		}
	}
	return nil
}

// FeatureNames returns the declared feature names sorted bytewise, the order
// cargo uses for `--check-cfg cfg(feature, values(...))` (cargo-units.md §2.5a).
func (p *Package) FeatureNames() []string {
	names := make([]string, 0, len(p.Features))
	for k := range p.Features {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
