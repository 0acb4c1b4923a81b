/**
 * Which registries are Google's. The hosts are the ones GKE and kube-up put in `matchImages`
 * (research/gcp-gar.md §1.4, §6). Unlike upstream auth-provider-gcp, which also keys the token to
 * whatever host the image names (PR #793), credkit-gar answers only for these hosts and keys the
 * credential to the image's own registry, so a Google access token never goes anywhere else.
 */
import { type ImageRef, urlsMatch } from '../../core/index.ts';

/** kubelet matchImages globs: `*` is one DNS label, so `*.pkg.dev` is `us-docker.pkg.dev`, not `a.b.pkg.dev`. */
export const MATCH_IMAGES = ['container.cloud.google.com', 'gcr.io', '*.gcr.io', '*.pkg.dev'];

/** The username GCR and Artifact Registry accept with an OAuth access token as password. */
export const REGISTRY_USERNAME = '_token';

/** Whether an image lives on a Google registry (host and port compared as the kubelet does). */
export function isGoogleRegistry(image: ImageRef): boolean {
  return MATCH_IMAGES.some((glob) => urlsMatch(glob, image.name));
}
