#!/usr/bin/env bash
# Builds and checks one image per service: Go builds a static binary, buildah copies it onto
# scratch (deploy/Dockerfile). Running the images is not possible in this sandbox, so each image
# is checked from the outside: entrypoint present, executable, static, built for the image's
# architecture; non-root user; size under a limit.
#
# Env: IMAGE_PREFIX (movies), IMAGE_TAG (dev), GOARCH (host), MAX_IMAGE_MB (80).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${IMAGE_PREFIX:-movies}"
tag="${IMAGE_TAG:-dev}"
arch="${GOARCH:-$(go env GOARCH)}"
max_mb="${MAX_IMAGE_MB:-80}"
buildah=(buildah --storage-driver vfs)

if ! command -v buildah >/dev/null; then
  echo "images: installing buildah (Debian package)"
  if [[ $(id -u) -ne 0 ]]; then echo "images: buildah missing and not root" >&2; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah >/dev/null; }
fi
if [[ ! -f /etc/ssl/certs/ca-certificates.crt ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q ca-certificates >/dev/null
fi

declare -A elf_machine=([amd64]="X86-64" [arm64]="AArch64")
declare -A oci_arch=([amd64]=amd64 [arm64]=arm64)
revision="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# image name | module dir | port
services=(
  "gateway|gateway|8080"
  "catalog-svc|catalog-svc|8081"
  "auth-svc|auth-svc|8082"
  "search-svc|search-svc|8083"
)

built=0
skipped=()
failures=()
for entry in "${services[@]}"; do
  IFS='|' read -r name module port <<<"$entry"
  if [[ ! -d "$repo/$module/cmd/$name" ]]; then
    echo "images: SKIP $name: $module/cmd/$name does not exist yet"
    skipped+=("$name")
    continue
  fi
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  echo "images: go build $name ($arch)"
  (cd "$repo/$module" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
    go build -trimpath -ldflags "-s -w" -o "$ctx/$name" "./cmd/$name")
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  image="$prefix/$name:$tag"
  echo "images: buildah bud $image"
  "${buildah[@]}" bud --quiet --format oci --arch "$arch" -f "$repo/deploy/Dockerfile" \
    --build-arg BINARY="$name" --build-arg PORT="$port" --build-arg VERSION="$tag" \
    --build-arg REVISION="$revision" --build-arg CREATED="$created" \
    -t "$image" "$ctx" >/dev/null

  # Checks on the built image, not on the host binary.
  fail() { failures+=("$name: $*"); echo "images: FAIL $name: $*" >&2; }
  cfg="$("${buildah[@]}" inspect --type image --format '{{.OCIv1.Config.User}}|{{.OCIv1.Config.Entrypoint}}|{{.OCIv1.Architecture}}' "$image")"
  IFS='|' read -r user entrypoint img_arch <<<"$cfg"
  [[ "$user" == "65532:65532" ]] || fail "user is '$user', want 65532:65532"
  [[ "$entrypoint" == '[/app/server]' ]] || fail "entrypoint is $entrypoint"
  [[ "$img_arch" == "${oci_arch[$arch]}" ]] || fail "image architecture $img_arch, want ${oci_arch[$arch]}"
  ctr="$("${buildah[@]}" from --pull-never "$image")"
  root="$("${buildah[@]}" mount "$ctr")"
  bin="$root/app/server"
  machine=""
  if [[ ! -f "$bin" || ! -x "$bin" ]]; then
    fail "entrypoint /app/server missing or not executable"
  else
    machine="$(readelf -h "$bin" | awk -F: '/Machine/ {gsub(/^ +/, "", $2); print $2}')"
    [[ "$machine" == *"${elf_machine[$arch]}"* ]] || fail "entrypoint is built for '$machine'"
    if readelf -l "$bin" | grep -q INTERP; then fail "entrypoint is dynamically linked"; fi
    # The kernel must accept it: a same-arch binary is exec'd with an unknown subcommand, which
    # the services refuse at once. Should one serve instead, it binds only an ephemeral loopback
    # port in a scratch directory until the timeout.
    if [[ "$arch" == "$(go env GOHOSTARCH)" ]]; then
      rc=0
      out="$(cd "$ctx" && env -i MOVIES_GATEWAY_ADDR=127.0.0.1:0 MOVIES_CATALOG_ADDR=127.0.0.1:0 \
        MOVIES_AUTH_ADDR=127.0.0.1:0 MOVIES_SEARCH_ADDR=127.0.0.1:0 \
        timeout 5 "$bin" image-check 2>&1)" || rc=$?
      # 126/127: the kernel refused it; 124: it ran (and was stopped by the timeout).
      [[ $rc -ne 126 && $rc -ne 127 ]] || fail "entrypoint does not run (exit $rc): $out"
    fi
  fi
  [[ -f "$root/etc/ssl/certs/ca-certificates.crt" ]] || fail "no CA certificates"
  [[ ! -e "$root/bin/sh" ]] || fail "image has a shell"
  size_mb=$(( $(du -sk "$root" | cut -f1) / 1024 ))
  (( size_mb <= max_mb )) || fail "image is ${size_mb} MB, limit ${max_mb} MB"
  "${buildah[@]}" umount "$ctr" >/dev/null
  "${buildah[@]}" rm "$ctr" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
  echo "images: done $image  ${size_mb} MB  user $user  $machine"
  built=$((built + 1))
done

# Rebuilds leave the previous image's layers untagged; vfs keeps full copies, so drop them.
"${buildah[@]}" rmi --prune >/dev/null 2>&1 || true
echo "images: built and checked $built, skipped ${#skipped[@]}${skipped:+ (${skipped[*]})}"
if (( ${#failures[@]} )); then
  printf 'images: %s\n' "${failures[@]}" >&2
  exit 1
fi
