package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	getter "github.com/hashicorp/go-getter/v2"
)

// getS3 downloads an S3 object, as helmfile's own S3 getter does (go-getter
// v2 has none): `s3://bucket/key` with the AWS configuration's endpoint and
// region, or `s3::https://bucket.s3.REGION.amazonaws.com/key` (also
// path-style and S3-compatible endpoints). An archive is unpacked, so an
// "@" selector can name a file inside it; any other object is saved under
// its own name.
func getS3(ctx context.Context, s Source, dst string) error {
	loc, err := s3LocationOf(s)
	if err != nil {
		return err
	}
	opts := []func(*config.LoadOptions) error{}
	if loc.region != "" {
		opts = append(opts, config.WithRegion(loc.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if loc.endpoint != "" {
			o.BaseEndpoint = aws.String(loc.endpoint)
		}
		// Endpoints other than AWS's (MinIO, Ceph...) want path-style
		// addressing.
		if loc.endpoint != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			o.UsePathStyle = true
		}
	})
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.bucket), Key: aws.String(loc.key)})
	if err != nil {
		return fmt.Errorf("s3://%s/%s: %w", loc.bucket, loc.key, err)
	}
	defer out.Body.Close()
	scratch, err := os.MkdirTemp(filepath.Dir(dst), "s3-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	name := path.Base(loc.key)
	object := filepath.Join(scratch, name)
	f, err := os.Create(object)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, out.Body); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if d := archiveDecompressor(name); d != nil {
		return d.Decompress(dst, object, true, 0)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return os.Rename(object, filepath.Join(dst, name))
}

// archiveDecompressor is go-getter's decompressor for an archive's name.
func archiveDecompressor(name string) getter.Decompressor {
	for _, ext := range []string{"tar.gz", "tgz", "tar.bz2", "tbz2", "tar.xz", "txz", "tar.zst", "tzst", "zip", "tar"} {
		if strings.HasSuffix(name, "."+ext) {
			return getter.Decompressors[ext]
		}
	}
	return nil
}

type s3Location struct {
	bucket, key, region, endpoint string
}

// s3LocationOf finds bucket, key, region and endpoint in an S3 reference.
// Without a selector the object is the file the reference names; with one,
// the object is what comes before the "@".
func s3LocationOf(s Source) (s3Location, error) {
	object := strings.TrimPrefix(s.Dir, "/")
	if !s.Selector {
		object = strings.TrimPrefix(path.Join(s.Dir, s.File), "/")
	}
	if s.Scheme == "s3" {
		if s.Host == "" || object == "" {
			return s3Location{}, errors.New("an s3:// reference needs a bucket and a key")
		}
		return s3Location{bucket: s.Host, key: object}, nil
	}
	host := s.Host
	endpoint := s.Scheme + "://" + host
	switch {
	case strings.HasSuffix(host, ".amazonaws.com"):
		labels := strings.Split(strings.TrimSuffix(host, ".amazonaws.com"), ".")
		// bucket.s3.REGION, bucket.s3-REGION, bucket.s3, s3.REGION (path style), s3
		for i, label := range labels {
			if label == "s3" || strings.HasPrefix(label, "s3-") {
				region := strings.TrimPrefix(label, "s3-")
				if label == "s3" && i+1 < len(labels) {
					region = labels[i+1]
				}
				if label == "s3" && i+1 >= len(labels) {
					region = ""
				}
				if i > 0 {
					return s3Location{bucket: strings.Join(labels[:i], "."), key: object, region: region}, nil
				}
				bucket, key, _ := strings.Cut(object, "/")
				return s3Location{bucket: bucket, key: key, region: region}, nil
			}
		}
		return s3Location{}, fmt.Errorf("%s is not an S3 host", host)
	default:
		// An S3-compatible server: path-style, the bucket first.
		bucket, key, ok := strings.Cut(object, "/")
		if !ok || bucket == "" || key == "" {
			return s3Location{}, fmt.Errorf("%s: give the bucket and the key in the path", s)
		}
		return s3Location{bucket: bucket, key: key, endpoint: endpoint}, nil
	}
}
