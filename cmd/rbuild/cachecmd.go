package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"rbuild/build"
	"rbuild/cache"
	"rbuild/executor"
)

const cacheUsage = `Usage: rbuild cache <command>

  stats                         Entries, size and last use of the artifact cache
  prune [--max-size SIZE] [--max-age AGE]
                                Delete entries unused for longer than AGE (30d, 12h),
                                then the least recently used until at most SIZE
                                (10GiB, 500M) remain; default: cache.max-size
  clear                         Delete every entry (a poisoned or suspect cache)
  verify                        Re-hash every stored file; drop entries that differ
`

func cacheCommand(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(out, cacheUsage)
		return nil
	}
	cfg, err := build.LoadUserConfig(os.Getenv)
	if err != nil {
		return err
	}
	dir := cfg.Cache.Directory()
	if dir == "" {
		return errors.New("no cache directory: set RBUILD_CACHE_DIR or cache.dir")
	}
	st, err := cache.Open(dir)
	if err != nil {
		return err
	}
	// prune and clear wait for builds copying entries out, and say so.
	st.OnBlocked(func() {
		executor.NewStatus(os.Stderr, false, useColor(&options{})).Verb("Blocking", "waiting for file lock on artifact cache")
	})
	limits, _ := cfg.Cache.Limits()
	switch args[0] {
	case "stats":
		if len(args) > 1 {
			return &usageError{fmt.Errorf("cache stats takes no arguments, got %q", args[1])}
		}
		s, err := st.Stats()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "cache:     %s\n", dir)
		fmt.Fprintf(out, "entries:   %d\n", s.Entries)
		fmt.Fprintf(out, "size:      %s (trimmed to %s when above %s)\n", build.FormatSize(s.Bytes), build.FormatSize(limits.Low), build.FormatSize(limits.High))
		if s.Entries > 0 {
			fmt.Fprintf(out, "last used: %s (oldest) … %s (newest)\n", s.Oldest.Format(time.DateTime), s.Newest.Format(time.DateTime))
		}
		if !cfg.Cache.IsEnabled() {
			fmt.Fprintln(out, "enabled:   no (cache.enabled or RBUILD_CACHE)")
		}
		if r := cfg.Cache.Remote; r.URL != "" {
			mode := "read-only"
			if r.ReadWrite() {
				mode = "read-write"
			}
			fmt.Fprintf(out, "remote:    %s (%s)\n", r.URL, mode)
		}
		return nil
	case "prune":
		opt := cache.PruneOptions{MaxSize: limits.High, Wait: true}
		for i := 1; i < len(args); i++ {
			flag, val, hasVal := strings.Cut(args[i], "=")
			if flag != "--max-size" && flag != "--max-age" {
				return &usageError{fmt.Errorf("cache prune: unknown option %q", flag)}
			}
			if !hasVal {
				if i+1 >= len(args) {
					return &usageError{errors.New(flag + " needs a value")}
				}
				i++
				val = args[i]
			}
			switch flag {
			case "--max-size":
				if opt.MaxSize, err = build.ParseSize(val); err != nil {
					return &usageError{errors.New("--max-size: " + err.Error())}
				}
				if opt.MaxSize == 0 {
					opt.MaxSize = -1 // "0" means empty it, not "no bound"
				}
			case "--max-age":
				if opt.MaxAge, err = build.ParseAge(val); err != nil {
					return &usageError{errors.New("--max-age: " + err.Error())}
				}
				if opt.MaxAge == 0 {
					opt.MaxAge = -1
				}
			}
		}
		res, err := st.Prune(ctx, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "removed %d entries (%s); %d entries (%s) left\n", res.Removed, build.FormatSize(res.Freed), res.EntriesLeft, build.FormatSize(res.Left))
		return nil
	case "clear":
		res, err := st.Clear(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "removed %d entries (%s)\n", res.Removed, build.FormatSize(res.Freed))
		return nil
	case "verify":
		res, err := st.Verify()
		if err != nil {
			return err
		}
		for _, d := range res.Dropped {
			fmt.Fprintf(out, "dropped %s\n", d)
		}
		fmt.Fprintf(out, "checked %d entries: %d dropped\n", res.Checked, len(res.Dropped))
		if len(res.Dropped) > 0 {
			return &exitError{code: 1}
		}
		return nil
	}
	return &usageError{fmt.Errorf("no such cache command %q", args[0])}
}
