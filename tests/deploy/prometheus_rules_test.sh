#!/usr/bin/env bash
# deploy/prometheus with promtool: the configuration, the rules, and the
# alert unit tests (every alert fires where it should and nowhere else).
# A copy with one threshold broken must make the unit tests fail, so the
# tests are shown to test something.
set -euo pipefail
src="${1:?source dir}"
cd "$src/deploy/prometheus"
promtool check config prometheus.yml
promtool check rules rules/recording.yml rules/alerts.yml
promtool test rules tests/alerts_test.yml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r rules tests "$work/"
sed -i 's/neurofeat_cache_up == 0/neurofeat_cache_up >= 0/' "$work/rules/alerts.yml"
if promtool test rules "$work/tests/alerts_test.yml" > "$work/broken.log" 2>&1; then
  echo "the alert tests passed with NeurofeatCacheDown firing everywhere" >&2
  exit 1
fi
grep -q "NeurofeatCacheDown" "$work/broken.log"
echo "a broken alert fails the unit tests: ok"
