#!/usr/bin/env bash
# Adds every public symbol the build reports as undeclared (RS0016) to the project's
# PublicAPI.Unshipped.txt, then sorts it. Review the diff: it is the public API change.
# Usage: eng/update-public-api.sh src/Okome.Caching
set -euo pipefail
project_dir=${1:?usage: eng/update-public-api.sh src/Okome.<Package>}
unshipped="$project_dir/PublicAPI.Unshipped.txt"
dotnet build "$project_dir" -p:TreatWarningsAsErrors=false 2>&1 \
  | grep -oP "RS0016: Symbol '\K.*(?=' is not part of the declared public API)" \
  | sort -u > /tmp/okome-public-api-new.txt || true
{ grep -v '^#nullable enable' "$unshipped" || true; cat /tmp/okome-public-api-new.txt; } | sort -u > /tmp/okome-public-api-all.txt
{ echo '#nullable enable'; cat /tmp/okome-public-api-all.txt; } > "$unshipped"
echo "added $(wc -l < /tmp/okome-public-api-new.txt) symbols to $unshipped"
