package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"

	"github.com/helmfire/helmfire/go-shim/internal/safe"
	"github.com/helmfire/helmfire/go-shim/internal/secrets"
	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"
)

// DisabledError is what exec, envExec, readFile, readDir and readDirEntries
// return when insecure features are disabled; the message is helmfile's.
var DisabledError = errors.New("HELMFILE_DISABLE_INSECURE_FEATURES or HELMFILE_DISABLE_INSECURE_TEMPLATE_FUNCTIONS is active, insecure function calls are disabled")

// staticFuncs is sprig's TxtFuncMap overlaid with helmfile's functions
// that depend on no render, sprig's `get` kept as `sprigGet` (helmfile's
// Context.CreateFuncMap), in a template set of its own: text/template
// checks and wraps each function (reflect) when it is added, about 230 of
// them, which was most of the cost of a small `.gotmpl` values file. Every
// set compiled clones it (compile) and adds boundFuncs.
var staticFuncs = sync.OnceValue(func() *template.Template {
	funcs := sprig.TxtFuncMap()
	funcs["sprigGet"] = funcs["get"]
	for name, f := range (template.FuncMap{
		"toYaml":         ToYaml,
		"fromYaml":       FromYaml,
		"setValueAtPath": SetValueAtPath,
		"requiredEnv":    RequiredEnv,
		"get":            Get,
		"getOrNil":       GetOrNil,
		"required":       Required,
	}) {
		funcs[name] = f
	}
	return template.New("").Option("missingkey=error").Funcs(funcs)
})

// boundFuncs are helmfile's functions that depend on the render: its base
// directory, context, run and `tpl` depth, reached through b when they are
// called; and whether insecure functions are disabled, fixed per set.
// include is added by compile because it closes over the template set.
func boundFuncs(b *binding, disableInsecure bool) template.FuncMap {
	funcs := template.FuncMap{
		"envExec": func(envs map[string]any, command string, args []any, inputs ...string) (string, error) {
			return b.e.envExec(envs, command, args, inputs...)
		},
		"exec": func(command string, args []any, inputs ...string) (string, error) {
			return b.e.exec(command, args, inputs...)
		},
		"isFile":           func(name string) (bool, error) { return b.e.isFile(name) },
		"isDir":            func(name string) (bool, error) { return b.e.isDir(name) },
		"readFile":         func(name string) (string, error) { return b.e.readFile(name) },
		"readDir":          func(dir string) ([]string, error) { return b.e.readDir(dir) },
		"readDirEntries":   func(dir string) ([]fs.DirEntry, error) { return b.e.readDirEntries(dir) },
		"tpl":              func(text string, data any) (string, error) { return b.e.tpl(text, data) },
		"fetchSecretValue": func(ref string) (string, error) { return b.e.fetchSecretValue(ref) },
		"expandSecretRefs": func(values map[string]any) (map[string]any, error) { return b.e.expandSecretRefs(values) },
	}
	if disableInsecure {
		// Same signatures as the real functions, so a call with wrong
		// arguments fails the same way whether or not they are disabled.
		funcs["exec"] = func(string, []any, ...string) (string, error) { return "", DisabledError }
		funcs["envExec"] = func(map[string]any, string, []any, ...string) (string, error) { return "", DisabledError }
		funcs["readFile"] = func(string) (string, error) { return "", DisabledError }
		funcs["readDir"] = func(string) ([]string, error) { return nil, DisabledError }
		funcs["readDirEntries"] = func(string) ([]string, error) { return nil, DisabledError }
	}
	return funcs
}

// fetchSecretValue is helmfile's: one vals reference resolved to a string,
// through the run's vals runtime.
func (e *engine) fetchSecretValue(ref string) (string, error) {
	return secrets.Get(e.ctx, ref, e.opts.BaseDir, e.opts.Run)
}

// expandSecretRefs is helmfile's: every reference in a map resolved. The
// map given is left as it was (vals would change it in place).
func (e *engine) expandSecretRefs(values map[string]any) (map[string]any, error) {
	return secrets.Eval(e.ctx, values, e.opts.BaseDir, e.opts.Run)
}

func (e *engine) isFile(name string) (bool, error) {
	info, err := os.Stat(e.resolve(name))
	if err == nil {
		return !info.IsDir(), nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

func (e *engine) isDir(name string) (bool, error) {
	info, err := os.Stat(e.resolve(name))
	if err == nil {
		return info.IsDir(), nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

func (e *engine) readFile(name string) (string, error) {
	content, err := os.ReadFile(e.resolve(name))
	if err != nil {
		return "", err
	}
	return string(content), nil
}

// readDir lists the files (not directories) of dir, each joined to dir as
// given (not to BaseDir), in name order.
func (e *engine) readDir(dir string) ([]string, error) {
	full := e.resolve(dir)
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil, fmt.Errorf("ReadDir %q: %w", full, err)
	}
	var paths []string
	for _, entry := range entries {
		if entry.IsDir() {
			continue
		}
		paths = append(paths, filepath.Join(dir, entry.Name()))
	}
	return paths, nil
}

func (e *engine) readDirEntries(dir string) ([]fs.DirEntry, error) {
	full := e.resolve(dir)
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil, fmt.Errorf("ReadDirEntries %q: %w", full, err)
	}
	return entries, nil
}

func (e *engine) exec(command string, args []any, inputs ...string) (string, error) {
	return e.envExec(nil, command, args, inputs...)
}

// envExec runs command in BaseDir and returns its stdout. envs, when not
// nil, are added to the inherited environment; the first input, if any, is
// written to its stdin. Failures carry helmfile's messages.
func (e *engine) envExec(envs map[string]any, command string, args []any, inputs ...string) (string, error) {
	var input string
	if len(inputs) > 0 {
		input = inputs[0]
	}
	strArgs := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return "", fmt.Errorf("unexpected type of arg \"%s\" in args %v at index %d", reflect.TypeOf(a), args, i)
		}
		strArgs[i] = s
	}
	for k, v := range envs {
		if _, ok := v.(string); !ok {
			return "", fmt.Errorf("unexpected type of env \"%s\" in envs %v at index %s", reflect.TypeOf(v), envs, k)
		}
	}

	cmd := exec.Command(command, strArgs...)
	cmd.Dir = e.opts.BaseDir
	if envs != nil {
		cmd.Env = os.Environ()
		for k, v := range envs {
			cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%s", k, v))
		}
	}

	var writeErr <-chan error
	if len(input) > 0 {
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return "", err
		}
		// A goroutine of the call: safe.Go turns a panic into its error.
		writeErr = safe.Go(func() error {
			defer func() { _ = stdin.Close() }()
			if _, err := io.WriteString(stdin, input); err != nil {
				return fmt.Errorf("failed while writing %d bytes to stdin of \"%s\": %v", len(input), command, err)
			}
			return nil
		})
	}

	stdout, runErr := e.output(cmd)
	// helmfile waits for both and reports whichever failure happens first,
	// which is a race when the command fails without reading its input;
	// the command's own failure is the more useful one, so it wins.
	if runErr != nil {
		return "", runErr
	}
	if writeErr != nil {
		if err := <-writeErr; err != nil {
			return "", err
		}
	}
	return string(stdout), nil
}

// output runs cmd and returns its stdout, with helmfile's runner error for a
// non-zero exit (path, args, status, stderr and combined output).
func (e *engine) output(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	// stdout and stderr are copied by two goroutines; helmfile shares an
	// unlocked buffer between them (a data race), this one is locked.
	combined := &syncbuf.Buffer{}
	cmd.Stdout = io.MultiWriter(&stdout, combined)
	cmd.Stderr = io.MultiWriter(&stderr, combined)

	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("unexpected error: %v", err)
	}
	done := safe.Go(cmd.Wait)
	var err error
	select {
	case err = <-done:
	case <-e.ctx.Done():
		_ = cmd.Process.Signal(os.Interrupt)
		err = <-done
	}
	if err == nil {
		return stdout.Bytes(), nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return nil, exitError(cmd.Path, cmd.Args, exitErr.ExitCode(), exitErr, stderr.String(), combined.String())
	}
	return nil, fmt.Errorf("unexpected error: %v", err)
}

// exitError formats a failed command as helmfile's helmexec.newExitError.
func exitError(path string, args []string, status int, err error, stderr, combined string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "PATH:\n%s", indent(path, "  "))
	b.WriteString("\n\nARGS:")
	for i, a := range args {
		fmt.Fprintf(&b, "\n%s", indent(fmt.Sprintf("%d: %s (%d bytes)", i, a, len(a)), "  "))
	}
	fmt.Fprintf(&b, "\n\nERROR:\n%s", indent(err.Error(), "  "))
	fmt.Fprintf(&b, "\n\nEXIT STATUS\n%s", indent(fmt.Sprintf("%d", status), "  "))
	if stderr != "" {
		fmt.Fprintf(&b, "\n\nSTDERR:\n%s", indent(stderr, "  "))
	}
	if combined != "" {
		fmt.Fprintf(&b, "\n\nCOMBINED OUTPUT:\n%s", indent(combined, "  "))
	}
	return fmt.Errorf("command %q exited with non-zero status:\n\n%s", path, b.String())
}

// indent prefixes the non-empty lines of text, as helmexec.Indent does,
// including its quirk: the last line is not preceded by a newline, so a text
// without a trailing newline has its last two lines run together.
func indent(text, prefix string) string {
	var b strings.Builder
	lines := strings.Split(text, "\n")
	last := len(lines) - 1
	for i, line := range lines {
		if i > 0 && i < last && line != "" {
			b.WriteString("\n")
		}
		if line != "" {
			b.WriteString(prefix + line)
		}
	}
	return b.String()
}
