#!/usr/bin/env bash
# Regenerates completions/ and man/ from the clap definitions.
set -euo pipefail
cd "$(dirname "$0")/.."
NETWALK_REGENERATE=1 cargo test --quiet --test it generated::
git status --short completions man
