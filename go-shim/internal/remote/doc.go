// Package remote fetches helmfile's remote sources in-process: sub-helmfiles,
// values and secrets files, environment values and charts written as
// go-getter references (`git::https://host/org/repo.git@path/file.yaml?ref=v1`,
// `https://host/values.yaml`, `s3://bucket/key`, `gcs::...`), as helmfile's
// pkg/remote reads them.
//
//   - source.go: parsing a reference into what is downloaded and the file
//     in it, and printing it with credentials masked;
//   - fetch.go: the source cache under HELMFIRE_CACHE_HOME/sources (one
//     directory per source, downloaded once across goroutines and
//     processes under a file lock and swapped in whole; `?cache=false`
//     fetched afresh once per run), go-getter for directories and git,
//     plain HTTP for one file, and errors that name the source;
//   - s3.go: S3 objects through the AWS SDK (go-getter v2 has no S3 getter;
//     helmfile brings its own too);
//   - git.go: git:: sources with go-git where there is no git command (the
//     FROM scratch image), doing what go-getter does with it.
//
// git:: sources run the git command when it is on PATH, as helmfile's
// go-getter does (so its credential helpers and configuration apply), and
// go-git otherwise; everything else is in-process.
package remote
