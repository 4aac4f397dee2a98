package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// explain prints, for the last build, one line per action: ran and why, or
// skipped and why. It reads what the build wrote at its decision points.
func explain(o *options) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	_, targetDir, err := locateTargetDir(cwd, os.Environ(), o.manifestPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(explainPath(targetDir))
	if err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("no build to explain yet in %s (run `rbuild build` first)", targetDir)
		}
		return err
	}
	var entries []explainEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return fmt.Errorf("read %s: %w", explainPath(targetDir), err)
	}
	for _, e := range entries {
		verb := "skipped"
		if e.Ran {
			verb = "ran"
		}
		line := fmt.Sprintf("%-7s %s: %s", verb, e.Label, e.Reason)
		if e.Cache != "" {
			line += " [cache: " + e.Cache + "]"
		}
		fmt.Println(line)
	}
	return nil
}
