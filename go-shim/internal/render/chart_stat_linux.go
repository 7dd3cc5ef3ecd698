package render

import (
	"io/fs"
	"syscall"
)

// fileIdentity is what a chart file's fingerprint records of it: the inode
// and the last change of its data (mtime) or of the inode itself (ctime,
// which no program can set back, unlike mtime).
func fileIdentity(info fs.FileInfo) (inode uint64, changed int64, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	changed = max(info.ModTime().UnixNano(), st.Ctim.Nano())
	return st.Ino, changed, true
}
