#!/usr/bin/env bash
# The consumer test (issue 8): packs Ember, Ember.Hosting and Ember.Runtime.{rid} into a local folder feed,
# creates a new console project in a temporary folder outside the repository, adds the packages from that
# feed, builds and runs a small training program, and checks its output; then publishes and runs the same
# program with Native AOT. It prints the time from launch
# to the first tensor op and the runtime package's size, and fails when that package is over 40 MB.
#   tests/consumer/run.sh [NATIVE_LIB_DIR]     (./build.sh test runs it with build/native/lib)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NATIVE_LIB_DIR="${1:-$ROOT/build/native/lib}"
RID="${EMBER_RID:-linux-x64}"
VERSION="0.0.0-consumer.$(date +%s)"   # unique, so no cache can hand back an older build
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
say() { printf 'consumer: %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

[ -f "$NATIVE_LIB_DIR/libember.so" ] || fail "no native library in $NATIVE_LIB_DIR (run ./build.sh first)"
WORK="$(mktemp -d /tmp/ember-consumer.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
FEED="$WORK/feed" APP="$WORK/app"
mkdir -p "$FEED" "$APP"

say "packing $VERSION for $RID into a local feed"
props=(-c Release -p:Version="$VERSION" -p:EmberRid="$RID" -p:EmberNativeDir="$NATIVE_LIB_DIR"
       --artifacts-path "$ROOT/build/consumer-artifacts" -o "$FEED" -nologo -v quiet -clp:ErrorsOnly)
dotnet pack "$ROOT/packaging/Ember/Ember.Package.csproj" "${props[@]}" >/dev/null
dotnet pack "$ROOT/managed/Ember.Hosting/Ember.Hosting.csproj" "${props[@]}" >/dev/null
dotnet pack "$ROOT/packaging/Ember.Runtime/Ember.Runtime.csproj" "${props[@]}" >/dev/null

# Only the local feed, the machine's package cache (offline copies of the public dependencies) and the
# public NuGet source; restored packages go to a private folder so that nothing leaks between runs.
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration><packageSources><clear />'
  echo "  <add key=\"ember-local\" value=\"$FEED\" />"
  [ -d "$HOME/.nuget/packages" ] && echo "  <add key=\"machine-cache\" value=\"$HOME/.nuget/packages\" />"
  echo '  <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />'
  echo '</packageSources></configuration>'
} > "$APP/nuget.config"
export NUGET_PACKAGES="$WORK/packages"

say "creating a console app in $APP and adding the packages"
(
  cd "$APP"
  dotnet new console --name ConsumerApp --output . --framework net10.0 >/dev/null
  dotnet add package Ember --version "$VERSION" >/dev/null
  dotnet add package "Ember.Runtime.$RID" --version "$VERSION" >/dev/null
  cp "$ROOT/tests/consumer/Program.cs" Program.cs
  dotnet build -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
) || fail "the consumer app did not build"

EXE="$APP/bin/Release/net10.0/ConsumerApp"
[ -f "$APP/bin/Release/net10.0/runtimes/$RID/native/libember.so" ] || fail "the runtime package's libember.so is not in the app's runtimes/$RID/native"
"$EXE" >/dev/null 2>&1 || true   # warm the disk cache once: the figure below is a warm start
start_ms=$(( $(date +%s%N) / 1000000 ))
out="$("$EXE" 2>&1)" || { printf '%s\n' "$out"; fail "the consumer app exited with an error"; }
printf '%s\n' "$out" | sed 's/^/  | /'
first_ms="$(printf '%s\n' "$out" | sed -n 's/^first op at \([0-9]*\) ms.*/\1/p')"
printf '%s\n' "$out" | grep -q '^consumer ok$' || fail "the program did not report success"
printf '%s\n' "$out" | grep -q "runtimes/$RID/native/libember.so" || fail "the native library was not loaded from the package's runtimes folder"

# The same program as a Native AOT app: no JIT, no Assembly.Location, trimmed reflection (the module
# registration must still find Sequential's layers).
say "publishing the same app with Native AOT"
(
  cd "$APP"
  dotnet publish -c Release -r "$RID" -p:PublishAot=true -p:CppCompilerAndLinker=gcc -o "$WORK/aot" \
    -nologo -v quiet -clp:ErrorsOnly >/dev/null
) || fail "the Native AOT publish failed (it needs gcc and the ILCompiler package from NuGet)"
aot_out="$("$WORK/aot/ConsumerApp" 2>&1)" || { printf '%s\n' "$aot_out"; fail "the Native AOT app exited with an error"; }
printf '%s\n' "$aot_out" | grep -q '^consumer ok$' || { printf '%s\n' "$aot_out"; fail "the Native AOT app did not report success"; }
say "Native AOT app: $(printf '%s\n' "$aot_out" | grep -m1 -i loss || echo ok)"

pkg="$FEED/Ember.Runtime.$RID.$VERSION.nupkg"
pkg_bytes=$(stat -c %s "$pkg")
unpacked_bytes=$(unzip -l "$pkg" | tail -1 | awk '{print $1}')
say "startup to first tensor op: $((first_ms - start_ms)) ms (target <= 150 ms)"
say "Ember.Runtime.$RID: $((pkg_bytes / 1024)) KiB packed, $((unpacked_bytes / 1024)) KiB unpacked (limit 40 MiB)"
[ "$unpacked_bytes" -le $((40 * 1024 * 1024)) ] || fail "the runtime package unpacks to more than 40 MiB"
say "passed"
