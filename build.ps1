# Ember's entry point on Windows; mirrors build.sh.
#   ./build.ps1 [build|test|bench|bindings [-Check]|demo|pack]
param(
  [Parameter(Position = 0)][ValidateSet('build', 'test', 'bench', 'bindings', 'demo', 'pack')][string]$Command = 'build',
  [switch]$Check,
  [string]$Config = 'Release',
  [string]$Rid = 'win-x64'
)
$ErrorActionPreference = 'Stop'
$Root = $PSScriptRoot
$BuildDir = Join-Path $Root 'build/native'
$NativeLibDir = Join-Path $BuildDir "lib/$Config"

function Require($tool, $hint) {
  if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is missing: $hint" }
}

function Build-Native {
  Require cmake 'install CMake 3.25+ (winget install Kitware.CMake)'
  # OpenBLAS on Windows: vcpkg install openblas:x64-windows-static, then pass its root.
  cmake -S $Root -B $BuildDir -DEMBER_RID=$Rid
  if ($LASTEXITCODE) { throw 'cmake configure failed' }
  cmake --build $BuildDir --config $Config --parallel
  if ($LASTEXITCODE) { throw 'native build failed' }
}

function Build-Managed {
  Require dotnet 'install the .NET SDK 10'
  dotnet build (Join-Path $Root 'Bindings.sln') -c $Config "-p:EmberNativeDir=$NativeLibDir"
  if ($LASTEXITCODE) { throw 'managed build failed' }
}

function Invoke-Bindings([switch]$CheckOnly) {
  $gen = @('run', '-c', 'Release', '--project', (Join-Path $Root 'bindings/Ember.Bindings.Generator'), '--',
    '--root', $Root, '--header', 'native/include/ember/ember.h', '--out', 'bindings/generated/Ember.Native.g.cs')
  if ($CheckOnly) { $gen += '--check' }
  dotnet @gen
  return $LASTEXITCODE -eq 0
}

switch ($Command) {
  'build' { Build-Native; Build-Managed }
  'bindings' { if (-not (Invoke-Bindings -CheckOnly:$Check)) { exit 1 } }
  'test' {
    Build-Native; Build-Managed
    $failed = 0
    if (-not (Invoke-Bindings -CheckOnly)) { $failed++ }
    ctest --test-dir $BuildDir -C $Config --output-on-failure
    if ($LASTEXITCODE) { $failed++ }
    dotnet test (Join-Path $Root 'Bindings.sln') -c $Config --no-build "-p:EmberNativeDir=$NativeLibDir"
    if ($LASTEXITCODE) { $failed++ }
    if ($failed) { Write-Error "$failed test stage(s) failed"; exit 1 }
  }
  'bench' { Build-Native; Build-Managed; & (Join-Path $BuildDir "native/bench/$Config/ember_bench.exe") --benchmark_format=json }
  'demo' {
    Build-Native; Build-Managed
    dotnet run -c $Config --no-build --project (Join-Path $Root 'examples/FashionMnist') -- `
      --model mlp --optimizer adam --lr 1e-3 --epochs 5 --batch-size 64 --device cpu --data (Join-Path $Root 'data/fashion-mnist')
  }
  'pack' {
    Build-Native
    $out = Join-Path $Root 'build/packages'
    $props = @('-c', $Config, "-p:EmberRid=$Rid", "-p:EmberNativeDir=$NativeLibDir", '-o', $out)
    foreach ($project in 'packaging/Ember/Ember.Package.csproj', 'managed/Ember.Hosting/Ember.Hosting.csproj', 'packaging/Ember.Runtime/Ember.Runtime.csproj') {
      dotnet pack (Join-Path $Root $project) @props
      if ($LASTEXITCODE) { throw "pack failed: $project" }
    }
  }
}
