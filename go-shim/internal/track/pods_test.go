package track

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestPodProblemNamesWhatKeepsAPodFromRunning(t *testing.T) {
	cases := []struct {
		name string
		pod  corev1.PodStatus
		want string
	}{
		{"healthy", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}, ""},
		{"creating is not a problem", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}, ""},
		{"unschedulable", corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available"}}},
			"cannot be scheduled (Unschedulable): 0/1 nodes are available"},
		{"crash loop with its exit code", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{
			Name: "web", RestartCount: 3,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2}},
		}}}, "container web is waiting: CrashLoopBackOff: back-off 40s (last exit code 2)"},
		{"image pull", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}},
			"container web is waiting: ImagePullBackOff"},
		{"failed job container", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "migrate", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}}},
			"container migrate exited with code 1 (Error)"},
	}
	for _, c := range cases {
		pod := &corev1.Pod{Status: c.pod}
		if got := podProblem(pod); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPodsFailingAlikeAreSaidOnce(t *testing.T) {
	unschedulable := corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "no node"}}}
	pods := []corev1.Pod{{Status: unschedulable}, {Status: unschedulable}}
	pods[0].Name, pods[1].Name = "web-a", "web-b"
	var b strings.Builder
	said := sayPodProblems(&b, pods)
	if !strings.Contains(b.String(), "2 pods (web-a, web-b): cannot be scheduled") || strings.Count(b.String(), "\n") != 1 {
		t.Errorf("got %q", b.String())
	}
	if !reportedAlready(said, "no node") || reportedAlready(said, "something else") {
		t.Errorf("events repeating a pod problem are recognised: %v", said)
	}
}

// The API's log endpoint needs a kubelet, which the test cluster's kwok
// nodes do not serve; client-go's fake answers it instead.
func TestAFailedContainersLastLinesAreIndentedUnderIt(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "job-x", Namespace: "ns"}}
	tr := &Tracker{core: fake.NewClientset(pod)}
	cs := corev1.ContainerStatus{Name: "migrate", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}}
	if !failed(cs) {
		t.Fatal("a container that exited 1 has failed")
	}
	got := tr.lastLogLines(context.Background(), pod, cs)
	if got != "    | fake logs" {
		t.Errorf("got %q", got)
	}
}
