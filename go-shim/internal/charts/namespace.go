package charts

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// setNamespace is chartify's SetNamespace for one rendered file: every
// document whose top level is a mapping with `metadata` and no
// `metadata.namespace` gets `namespace: ns` as the last key of its
// metadata. A namespace already there is kept (as helm and Kubernetes
// keep it); cluster-scoped kinds are not told apart, as chartify does not.
// Documents are re-encoded by the YAML library chartify uses, with its
// indentation, so the output is chartify's byte for byte.
func setNamespace(data []byte, ns string) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		doc := &yaml.Node{}
		if err := dec.Decode(doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("parsing yaml: %v", err)
		}
		if len(doc.Content) > 0 {
			addNamespace(doc.Content[0], ns)
		}
		docs = append(docs, doc)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	for _, doc := range docs {
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("writing yaml: %v", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// addNamespace adds the namespace to the first `metadata` mapping key of
// an object that lacks one.
func addNamespace(object *yaml.Node, ns string) {
	if object.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(object.Content); i += 2 {
		if object.Content[i].Value != "metadata" {
			continue
		}
		metadata := object.Content[i+1]
		for k := 0; k+1 < len(metadata.Content); k += 2 {
			if metadata.Content[k].Value == "namespace" {
				return
			}
		}
		metadata.Content = append(metadata.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "namespace"},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ns},
		)
		return
	}
}
