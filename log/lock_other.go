//go:build !unix

package log

import (
	"context"
	"errors"
	"os"
)

func acquireLock(ctx context.Context, path string, waiting func(holder string)) (*os.File, error) {
	return nil, errors.New("log: file locking is not supported on this platform")
}
