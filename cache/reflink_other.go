//go:build !linux

package cache

import "errors"

func reflink(src, dst string) error { return errors.New("reflink: not supported") }
