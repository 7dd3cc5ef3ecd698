package remote

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// gitRequest is a git:: source as go-getter's git getter reads it: the
// repository URL and the parameters it takes off the query.
type gitRequest struct {
	repo   string
	ref    string
	depth  int
	sshKey []byte
	user   string
}

func gitRequestOf(s Source) (gitRequest, error) {
	q := cloneQuery(s.Query)
	req := gitRequest{ref: q.Get("ref"), user: "git"}
	if s.User != nil && s.User.Username() != "" {
		req.user = s.User.Username()
	}
	// go-getter ignores a depth that is not a number; so does this.
	if depth := q.Get("depth"); depth != "" {
		if n, err := strconv.Atoi(depth); err == nil && n > 0 {
			req.depth = n
		}
	}
	if key := q.Get("sshkey"); key != "" {
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			return gitRequest{}, errors.New("the sshkey parameter is not base64 (go-getter's form: the private key, base64-encoded)")
		}
		req.sshKey = raw
	}
	for _, param := range []string{"cache", "ref", "depth", "sshkey"} {
		q.Del(param)
	}
	u := url.URL{Scheme: s.Scheme, User: s.User, Host: s.Host, Path: s.Dir, RawQuery: q.Encode()}
	req.repo = u.String()
	return req, nil
}

// ownGitClone says how to fetch a git:: source where go-getter's git
// getter would fail or write a secret to disk, or returns nil to leave the
// source to go-getter, as helmfile does:
//   - with no git command on PATH (the FROM scratch image), go-git;
//   - with an `sshkey`, go-git too, so the key stays in memory (go-getter
//     writes it to a temporary file for ssh);
//   - with a `depth` and a ref, `git clone --depth N --branch REF`:
//     go-getter, helmfile 1.8's included, clones the default branch
//     shallow and then fails to check out a tag or another branch
//     ("pathspec 'v1' did not match").
func ownGitClone(s Source) func(ctx context.Context, dst string) error {
	req, err := gitRequestOf(s)
	if err != nil {
		return func(context.Context, string) error { return err }
	}
	if _, err := exec.LookPath("git"); err != nil || req.sshKey != nil {
		return func(ctx context.Context, dst string) error { return cloneWithoutGit(ctx, s.Scheme, req, dst) }
	}
	if req.depth > 0 && req.ref != "" {
		return func(ctx context.Context, dst string) error { return shallowCloneWithGit(ctx, req, dst) }
	}
	return nil
}

// shallowCloneWithGit clones the ref's history to the depth, then the
// submodules to the same depth.
func shallowCloneWithGit(ctx context.Context, req gitRequest, dst string) error {
	depth := strconv.Itoa(req.depth)
	if err := runGit(ctx, "", "clone", "--depth", depth, "--branch", req.ref, "--", req.repo, dst); err != nil {
		return err
	}
	return runGit(ctx, dst, "submodule", "update", "--init", "--recursive", "--depth", depth)
}

// runGit runs the git command as go-getter does and says what it printed
// when it fails.
func runGit(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("error running git %s: %s", args[0], strings.TrimSpace(string(out)))
	}
	return nil
}

// cloneWithoutGit fetches a git:: source with go-git. It does what
// helmfire does with the git command (ownGitClone): with `depth`, a shallow
// clone of the ref (a branch or a tag); without, a full clone and the ref
// (a branch, a tag or a commit) checked out; then the submodules.
// Credentials come from the URL (https) or from `sshkey`, the SSH agent or
// ~/.ssh (ssh); the git command's own configuration (credential helpers,
// insteadOf, GIT_SSH_COMMAND) has no meaning here.
func cloneWithoutGit(ctx context.Context, scheme string, req gitRequest, dst string) error {
	if scheme == "file" {
		// go-git serves a local repository in-process, which cannot make
		// shallow clones; the files checked out are the same.
		req.depth = 0
	}
	serveFileURLsInProcess()
	auth, err := req.auth(scheme)
	if err != nil {
		return err
	}
	repo, err := req.clone(ctx, dst, auth)
	if err != nil {
		return err
	}
	worktree, err := repo.Worktree()
	if err != nil {
		return err
	}
	if req.ref != "" && req.depth == 0 {
		commit, err := resolveRef(repo, req.ref)
		if err != nil {
			return err
		}
		if err := worktree.Checkout(&git.CheckoutOptions{Hash: commit, Force: true}); err != nil {
			return fmt.Errorf("checking out %q: %w", req.ref, err)
		}
	}
	submodules, err := worktree.Submodules()
	if err != nil {
		return err
	}
	return submodules.UpdateContext(ctx, &git.SubmoduleUpdateOptions{
		Init: true, RecurseSubmodules: git.DefaultSubmoduleRecursionDepth, Depth: req.depth, Auth: auth,
	})
}

// clone makes dst a clone of the repository: of the ref alone when a depth
// is given (as `git clone --depth N --branch REF`), else of everything.
func (req gitRequest) clone(ctx context.Context, dst string, auth transport.AuthMethod) (*git.Repository, error) {
	options := git.CloneOptions{URL: req.repo, Auth: auth, Depth: req.depth}
	if req.depth == 0 || req.ref == "" {
		return git.PlainCloneContext(ctx, dst, false, &options)
	}
	// As --single-branch, which --depth implies: the ref's history only,
	// no other tags.
	options.SingleBranch = true
	options.Tags = git.NoTags
	for _, name := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(req.ref), plumbing.NewTagReferenceName(req.ref)} {
		options.ReferenceName = name
		repo, err := git.PlainCloneContext(ctx, dst, false, &options)
		if !isMissingRef(err) {
			return repo, err
		}
		// A failed clone leaves its directory behind; the next try needs it gone.
		if err := os.RemoveAll(dst); err != nil {
			return nil, err
		}
	}
	return nil, noSuchRef(req.ref)
}

// resolveRef finds the commit a ref names, in git checkout's order: a
// branch of the remote, a tag, a (possibly abbreviated) commit.
func resolveRef(repo *git.Repository, ref string) (plumbing.Hash, error) {
	for _, revision := range []string{"refs/remotes/origin/" + ref, "refs/tags/" + ref, ref} {
		if hash, err := repo.ResolveRevision(plumbing.Revision(revision)); err == nil {
			return *hash, nil
		}
	}
	return plumbing.ZeroHash, noSuchRef(ref)
}

// noSuchRef says what the git command says of a ref the remote does not
// have, so missingRef (ignoreMissingGitBranch) treats both alike.
func noSuchRef(ref string) error {
	return fmt.Errorf("couldn't find remote ref %q: it is neither a branch, a tag nor a commit of the repository", ref)
}

func isMissingRef(err error) bool {
	return errors.Is(err, git.NoMatchingRefSpecError{}) || errors.Is(err, plumbing.ErrReferenceNotFound)
}

// auth is how go-git authenticates for the URL's scheme: nil for https
// (go-git takes credentials from the URL itself) and local paths; for ssh
// the `sshkey` parameter, else the SSH agent when there is one, else the
// first of the usual keys in ~/.ssh.
func (req gitRequest) auth(scheme string) (transport.AuthMethod, error) {
	if scheme != "ssh" {
		return nil, nil
	}
	if req.sshKey != nil {
		return gitssh.NewPublicKeys(req.user, req.sshKey, "")
	}
	if os.Getenv("SSH_AUTH_SOCK") != "" {
		return gitssh.NewSSHAgentAuth(req.user)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, nil
	}
	for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		path := filepath.Join(home, ".ssh", name)
		if _, err := os.Stat(path); err == nil {
			return gitssh.NewPublicKeysFromFile(req.user, path, "")
		}
	}
	return nil, nil
}

var fileTransportOnce sync.Once

// serveFileURLsInProcess makes go-git read file:// repositories itself:
// its default file transport runs git-upload-pack, which a host without
// git does not have.
func serveFileURLsInProcess() {
	fileTransportOnce.Do(func() { client.InstallProtocol("file", server.NewServer(localRepositories{})) })
}

// localRepositories opens the repository at a file:// path, bare or with a
// work tree. (go-git's own loader reads a work tree's root as if it were
// the .git directory, and finds no references there.)
type localRepositories struct{}

func (localRepositories) Load(ep *transport.Endpoint) (storer.Storer, error) {
	dir := ep.Path
	if info, err := os.Stat(filepath.Join(dir, ".git")); err == nil && info.IsDir() {
		dir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		return nil, transport.ErrRepositoryNotFound
	}
	return filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault()), nil
}
