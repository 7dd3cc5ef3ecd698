package render

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"

	"log/slog"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

const (
	digestA = "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	digestB = "sha256:" + "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func TestImageRefNormalisation(t *testing.T) {
	cases := map[string]string{
		"nginx":                          "docker.io/library/nginx",
		"library/nginx":                  "docker.io/library/nginx",
		"docker.io/nginx":                "docker.io/library/nginx",
		"docker.io/library/nginx:1.25":   "docker.io/library/nginx:1.25",
		"index.docker.io/nginx:1.25":     "docker.io/library/nginx:1.25",
		"bitnami/redis:7":                "docker.io/bitnami/redis:7",
		"localhost/app":                  "localhost/app",
		"localhost:5000/app:1":           "localhost:5000/app:1",
		"localhost:5000/team/app":        "localhost:5000/team/app",
		"Registry.Example.com/a/b:v1.2":  "registry.example.com/a/b:v1.2",
		"ghcr.io/org/app@" + digestA:     "ghcr.io/org/app@" + digestA,
		"nginx:1.25@" + digestA:          "docker.io/library/nginx:1.25@" + digestA,
		"[::1]:5000/app:dev":             "[::1]:5000/app:dev",
		"quay.io/a_b/c__d/e-f.g:T_1.0-x": "quay.io/a_b/c__d/e-f.g:T_1.0-x",
	}
	for in, want := range cases {
		ref, err := parseImageRef(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := ref.String(); got != want {
			t.Errorf("%s: normalised to %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{
		"", "Nginx", "nginx:", "nginx@", "nginx:bad tag", "-nginx", "a//b", "nginx@sha256:abc",
		"nginx@sha256:" + strings.ToUpper(digestA[7:]), "reg.io/", ":1.0", "nginx:" + strings.Repeat("x", 129),
		"my-registry:port/app", "${IMAGE}", " nginx",
	} {
		if ref, err := parseImageRef(bad); err == nil {
			t.Errorf("%q parsed as %s", bad, ref)
		}
	}
}

func TestImageMatching(t *testing.T) {
	cases := []struct {
		original, image string
		want            bool
	}{
		// No tag, no digest: every tag and digest of the repository.
		{"nginx", "docker.io/library/nginx:1.25", true},
		{"nginx", "nginx", true},
		{"docker.io/library/nginx", "nginx@" + digestA, true},
		{"library/nginx", "nginx:1.25@" + digestB, true},
		{"nginx", "nginx-extra:1.25", false},
		{"nginx", "bitnami/nginx:1.25", false},
		{"nginx", "quay.io/nginx:1.25", false},
		{"localhost:5000/app", "localhost:5000/app:1", true},
		{"localhost:5000/app", "localhost:5001/app:1", false},
		{"localhost:5000/app", "localhost/app:1", false},
		// A tag: that tag only, with any digest; no tag means latest.
		{"nginx:1.25", "docker.io/library/nginx:1.25", true},
		{"nginx:1.25", "nginx:1.25@" + digestA, true},
		{"nginx:1.25", "nginx:1.26", false},
		{"nginx:1.25", "nginx", false},
		{"nginx:1.25", "nginx@" + digestA, false},
		{"nginx:latest", "nginx", true},
		{"nginx:latest", "nginx@" + digestA, false},
		// A digest: that digest only, whatever the tag.
		{"nginx@" + digestA, "nginx@" + digestA, true},
		{"nginx@" + digestA, "nginx:1.25@" + digestA, true},
		{"nginx@" + digestA, "nginx@" + digestB, false},
		{"nginx@" + digestA, "nginx:1.25", false},
		{"nginx:1.25@" + digestA, "nginx:9@" + digestA, true},
	}
	for _, tc := range cases {
		original, err := parseImageRef(tc.original)
		if err != nil {
			t.Fatal(err)
		}
		image, err := parseImageRef(tc.image)
		if err != nil {
			t.Fatal(err)
		}
		if got := original.matches(image); got != tc.want {
			t.Errorf("%s matches %s: %v, want %v", tc.original, tc.image, got, tc.want)
		}
	}
}

func TestImageSubstitutionFirstMatchWins(t *testing.T) {
	s, err := newImageSubstituter([]ImageSubstitution{
		{Original: "nginx:1.25", Replacement: "first/nginx:a"},
		{Original: "docker.io/library/nginx", Replacement: "second/nginx:b"},
		{Original: "nginx:1.25", Replacement: "never/nginx:c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for image, want := range map[string]string{
		"nginx:1.25": "first/nginx:a", "nginx:1.26": "second/nginx:b", "nginx": "second/nginx:b", "redis": "",
		"not an image": "",
	} {
		if got, _ := s.replacementFor(image); got != want {
			t.Errorf("%s: replaced by %q, want %q", image, got, want)
		}
	}
}

func TestImageSubstitutionErrors(t *testing.T) {
	if s, err := newImageSubstituter(nil); s != nil || err != nil {
		t.Fatalf("no substitutions: %v, %v", s, err)
	}
	for _, subs := range [][]ImageSubstitution{
		{{Original: "nginx", Replacement: "ok/nginx:1"}, {Original: "Bad:Image:x", Replacement: "ok/nginx:1"}},
		{{Original: "nginx", Replacement: ""}},
		{{Original: "", Replacement: "ok/nginx:1"}},
		{{Original: "nginx", Replacement: "reg.io/app:bad tag"}},
	} {
		_, err := newImageSubstituter(subs)
		e, ok := err.(*fault.Error)
		if !ok || e.Kind != fault.KindValues {
			t.Errorf("%+v: want a values error, got %v", subs, err)
			continue
		}
		last := subs[len(subs)-1]
		if !strings.Contains(e.Message, "image substitution") || !strings.Contains(e.Message, `"`+last.Original+`"`) {
			t.Errorf("%+v: the message does not name the substitution: %s", subs, e.Message)
		}
	}
	// The request fails before anything is rendered.
	_, err := shimtest.Invoke(t, Template, TemplateParams{
		ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "schema"),
		ImageSubstitutions: []ImageSubstitution{{Original: "NGINX", Replacement: "x"}},
	})
	if err == nil || err.Kind != fault.KindValues {
		t.Fatalf("template with an invalid substitution: %+v", err)
	}
}

// imageManifests is a rendered stream: the images named old-* are replaced.
const imageManifests = `---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {image: nginx}
spec:
  template:
    metadata:
      annotations:
        image: nginx   # not a container
    spec:
      initContainers:
        - name: init
          image: busybox:1.36
      containers:
        - name: web
          image: nginx:1.25
          env:
            - {name: IMAGE, value: nginx:1.25}
        - name: sidecar
          image: "docker.io/library/nginx:1.25@` + digestA + `"
        - {name: flow, image: 'nginx:1.26', ports: [{containerPort: 80}]}
        - name: pinned
          image: registry.example.com:5000/team/app@` + digestA + ` # pinned
        - name: other
          image: redis:7
---
# Source: app/templates/cronjob.yaml
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: 'localhost:5000/app:1'
          restartPolicy: Never
---
# Source: app/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: débogage   # non-ASCII before an image on another line
spec:
  containers:
  - name: main
    image: library/nginx
  ephemeralContainers:
  - name: debugger
    image: busybox
---
# Source: app/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  image: nginx:1.25
  spec: |
    template:
      spec:
        containers:
        - image: nginx:1.25
---
# Source: app/templates/custom.yaml
apiVersion: example.com/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
      - image: nginx:1.25
---
# Source: app/templates/broken.yaml
apiVersion: apps/v1
kind: Deployment
spec: {template: {spec: {containers: [{image: nginx:1.25}]
---
# Source: app/templates/job.yaml
apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      containers:
      - name: j
        image: ${IMAGE}
      - name: k
        image: &shared nginx:1.25
      - name: l
        image: *shared
      - name: m
        image: !!str nginx:1.25
      - name: n
        image: "nginx:\x31.25"
      - name: o
        image: >-
          nginx:1.25
`

func imageTestSubstituter(t *testing.T) *imageSubstituter {
	t.Helper()
	s, err := newImageSubstituter([]ImageSubstitution{
		{Original: "nginx:1.25", Replacement: "my-registry/nginx:dev"},
		{Original: "docker.io/library/nginx", Replacement: "my-registry/nginx:other"},
		{Original: "busybox", Replacement: "my-registry/busybox:dev"},
		{Original: "registry.example.com:5000/team/app@" + digestA, Replacement: "registry.example.com:5000/team/app:dev"},
		{Original: "localhost:5000/app:1", Replacement: "localhost:5000/app:2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImageRewriteManifests(t *testing.T) {
	s := imageTestSubstituter(t)
	got := string(s.rewrite([]byte(imageManifests)))

	// Exactly these scalars change, in place; every other byte stays.
	want := imageManifests
	for _, r := range []struct{ old, new string }{
		{"image: busybox:1.36\n", "image: my-registry/busybox:dev\n"},
		{"image: nginx:1.25\n          env:", "image: my-registry/nginx:dev\n          env:"},
		{`image: "docker.io/library/nginx:1.25@` + digestA + `"`, `image: "my-registry/nginx:dev"`},
		{"image: 'nginx:1.26'", "image: 'my-registry/nginx:other'"},
		{"image: registry.example.com:5000/team/app@" + digestA + " # pinned", "image: registry.example.com:5000/team/app:dev # pinned"},
		{"image: 'localhost:5000/app:1'", "image: 'localhost:5000/app:2'"},
		{"image: library/nginx\n", "image: my-registry/nginx:other\n"},
		{"image: busybox\n", "image: my-registry/busybox:dev\n"},
	} {
		if strings.Count(want, r.old) != 1 {
			t.Fatalf("%q is not once in the manifests", r.old)
		}
		want = strings.Replace(want, r.old, r.new, 1)
	}
	if got != want {
		t.Fatalf("rewritten manifests:\n%s\nwant:\n%s", got, want)
	}

	// Nothing to replace: the very same bytes come back.
	none, err := newImageSubstituter([]ImageSubstitution{{Original: "postgres", Replacement: "x/postgres"}})
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(imageManifests)
	if out := none.rewrite(in); &out[0] != &in[0] || len(out) != len(in) {
		t.Fatal("a stream without matching images was copied or changed")
	}
}

func TestImageRewriteKeepsScalarsReadable(t *testing.T) {
	// A replacement that would not read back as a string when plain is quoted.
	s, err := newImageSubstituter([]ImageSubstitution{{Original: "nginx", Replacement: "1234"}})
	if err != nil {
		t.Fatal(err)
	}
	// (CRLF line ends, and columns counted in characters, not bytes.)
	in := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\r\n    name: a\n  - {name: é–ü, image: nginx}\n"
	want := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: \"1234\"\r\n    name: a\n  - {name: é–ü, image: \"1234\"}\n"
	if got := string(s.rewrite([]byte(in))); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestImagePostRenderer(t *testing.T) {
	ctx := context.Background()
	// No substitutions and no program: no post-renderer at all.
	none, err := PostRenderer(ctx, TemplateParams{ImageSubstitutions: []ImageSubstitution{}})
	if err != nil || none != nil {
		t.Fatalf("PostRenderer without substitutions: %v, %v", none, err)
	}

	// The exec post-renderer runs first, the substitutions on its output.
	p := TemplateParams{
		PostRenderer:       "sed",
		PostRendererArgs:   []string{"-e", "s/image: redis:7/image: nginx:1.25/"},
		ImageSubstitutions: []ImageSubstitution{{Original: "nginx:1.25", Replacement: "my-registry/nginx:dev"}},
	}
	pr, err := PostRenderer(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pr.(chainedPostRenderer); !ok {
		t.Fatalf("post-renderer %T, want a chain", pr)
	}
	in := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: redis:7\n"
	out, err := pr.Run(bytes.NewBufferString(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(in, "redis:7", "my-registry/nginx:dev", 1); out.String() != want {
		t.Fatalf("chained post-renderers gave:\n%s\nwant:\n%s", out, want)
	}

	// Invalid substitutions fail the upgrade or diff before it starts.
	p.ImageSubstitutions = []ImageSubstitution{{Original: "nginx", Replacement: "UPPER/case"}}
	if _, err := PostRenderer(ctx, p); err == nil {
		t.Fatal("an invalid replacement was accepted")
	}

	// A post-renderer program that is not there fails before rendering.
	if _, err := PostRenderer(ctx, TemplateParams{PostRenderer: "no-such-program-anywhere"}); err == nil ||
		shimtest.AsFault(err).Kind != fault.KindRender {
		t.Fatalf("missing program: %v", err)
	}
}

// TestImagePostRendererThroughHelm runs the post-renderer as upgrade and
// diff do, inside helm's rendering: helm's filename annotation survives it
// (the files keep their `# Source:` names) and hooks are rewritten too.
func TestImagePostRendererThroughHelm(t *testing.T) {
	p := TemplateParams{
		ImageSubstitutions: []ImageSubstitution{{Original: "busybox:1.36", Replacement: "my-registry/busybox:dev"}},
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.Default().Handler()))
	client := action.NewInstall(cfg)
	client.DryRunStrategy = action.DryRunClient
	client.WaitStrategy = kube.HookOnlyStrategy
	client.Replace = true
	client.ReleaseName = "r"
	client.Namespace = "default"
	pr, err := PostRenderer(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	client.PostRenderer = pr
	chrt, err := loader.Load(filepath.Join(shimtest.Charts, "hooks"))
	if err != nil {
		t.Fatal(err)
	}
	releaser, err := client.RunWithContext(context.Background(), chrt, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	rel, ok := releaser.(*release.Release)
	if !ok {
		t.Fatalf("rendered a %T", releaser)
	}
	out := assembleManifests(rel, false)
	for _, want := range []string{
		"# Source: hooks/templates/job-migrate.yaml\n", "# Source: hooks/templates/tests/test-connection.yaml\n",
		"image: my-registry/busybox:dev\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"busybox:1.36", "postrender", "generated-by"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("output has %q:\n%s", unwanted, out)
		}
	}
}

// TestImageSubstitutionTemplate renders fixture charts with and without
// substitutions: only the image values differ.
func TestImageSubstitutionTemplate(t *testing.T) {
	subs := []ImageSubstitution{
		{Original: "docker.io/library/busybox:1.36", Replacement: "my-registry/busybox:dev"},
		{Original: "nginx", Replacement: "my-registry/nginx:dev"},
	}
	for chart, images := range map[string][]string{
		"hooks":    {"busybox:1.36"}, // a Job hook and a test Pod
		"schema":   {"nginx:1.27"},   // a Deployment
		"subchart": {"busybox:1.36"}, // a Deployment of a subchart
		"tested":   {"busybox:1.36"},
	} {
		t.Run(chart, func(t *testing.T) {
			params := TemplateParams{ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, chart)}
			before, err := shimtest.Invoke(t, Template, params)
			if err != nil {
				t.Fatal(err)
			}
			params.ImageSubstitutions = []ImageSubstitution{}
			empty, err := shimtest.Invoke(t, Template, params)
			if err != nil {
				t.Fatal(err)
			}
			if empty.Stdout != before.Stdout {
				t.Fatalf("an empty list changed the output:\n%s\nwas:\n%s", empty.Stdout, before.Stdout)
			}

			params.ImageSubstitutions = subs
			after, err := shimtest.Invoke(t, Template, params)
			if err != nil {
				t.Fatal(err)
			}
			want := before.Stdout
			for _, image := range images {
				if !strings.Contains(want, "image: "+image+"\n") {
					t.Fatalf("the chart renders no %s:\n%s", image, want)
				}
				replacement := "my-registry/busybox:dev"
				if strings.HasPrefix(image, "nginx") {
					replacement = "my-registry/nginx:dev"
				}
				want = strings.ReplaceAll(want, "image: "+image+"\n", "image: "+replacement+"\n")
			}
			if after.Stdout != want {
				t.Fatalf("substituted output:\n%s\nwant:\n%s", after.Stdout, want)
			}
		})
	}
}

func TestImageSubstitutionTemplateShowOnlyAndOutputDir(t *testing.T) {
	subs := []ImageSubstitution{{Original: "busybox", Replacement: "my-registry/busybox:dev"}}
	shown, err := shimtest.Invoke(t, Template, TemplateParams{
		ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "hooks"), ShowOnly: []string{"templates/job-migrate.yaml"},
		ImageSubstitutions: subs,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown.Stdout, "image: my-registry/busybox:dev\n") || strings.Contains(shown.Stdout, "busybox:1.36") {
		t.Fatalf("show_only output:\n%s", shown.Stdout)
	}

	dir := t.TempDir()
	if _, err := shimtest.Invoke(t, Template, TemplateParams{
		ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "hooks"), OutputDir: dir, ImageSubstitutions: subs,
	}); err != nil {
		t.Fatal(err)
	}
	data, readErr := os.ReadFile(filepath.Join(dir, "hooks", "templates", "tests", "test-connection.yaml"))
	if readErr != nil {
		t.Fatal(readErr)
	}
	if !strings.Contains(string(data), "image: my-registry/busybox:dev\n") {
		t.Fatalf("output_dir file:\n%s", data)
	}
}
