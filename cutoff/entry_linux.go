package cutoff

import "syscall"

// StatEntry returns path's EntryID, or false if it cannot be read.
func StatEntry(path string) (EntryID, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return EntryID{}, false
	}
	return EntryID{Dev: uint64(st.Dev), Ino: st.Ino, Ctime: st.Ctim.Nano()}, true
}
