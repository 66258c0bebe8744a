#!/usr/bin/env bash
# Installs MLflow from PyPI into the project-local venv (.venv), where the server's auto-start,
# `fleet-rlm mlflow-server` and the MLflow tests look for it. Idempotent: an existing install of
# the pinned version is kept. Everything else in the project works without it.
#
#   scripts/setup-mlflow.sh             the pinned version (MLFLOW_VERSION overrides it)
#   scripts/setup-mlflow.sh --upgrade   the newest release (or MLFLOW_VERSION when set), then
#                                       migrates the local SQLite store so the new server starts
#                                       (a copy of the old file is kept beside it)
#
# The local store is MLFLOW_LOCAL_BACKEND_STORE_URI when set, else FLEET_DATA_DIR/mlruns.db
# (FLEET_DATA_DIR defaults to ./.fleet-rlm), as for `fleet-rlm serve` and `fleet-rlm mlflow-server`;
# they are read from the environment, not from ./.env.
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED_VERSION=3.17.2
PYTHON="${PYTHON:-python3}"
UPGRADE=false

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

for arg in "$@"; do
  case "$arg" in
    --upgrade) UPGRADE=true ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "unknown option '$arg'; the only option is --upgrade" >&2
      exit 2
      ;;
  esac
done

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv || {
      echo "could not create a venv: on Debian/Ubuntu install python3-venv (apt-get install python3-venv)" >&2
      exit 1
    }
  fi
}

installed_version() {
  .venv/bin/python -c "import mlflow; print(mlflow.__version__)" 2>/dev/null || echo none
}

# The local SQLite store, migrated to the installed MLflow's schema (a newer MLflow refuses to
# start on an older schema). Other stores are left to their owner, with the command to run.
migrate_local_store() {
  local from_version="$1"
  local data_dir="${FLEET_DATA_DIR:-.fleet-rlm}"
  case "$data_dir" in /*) ;; *) data_dir="$(pwd)/$data_dir" ;; esac
  local uri="${MLFLOW_LOCAL_BACKEND_STORE_URI:-sqlite:///$data_dir/mlruns.db}"
  case "$uri" in
    sqlite:///*)
      local file="${uri#sqlite:///}"
      if [ ! -f "$file" ]; then
        echo "no local MLflow store at $file yet; nothing to migrate"
        return
      fi
      local backup
      backup="$file.mlflow-$from_version-$(date +%Y%m%d%H%M%S)"
      cp "$file" "$backup"
      echo "migrating the local MLflow store $file (copy kept at $backup)"
      .venv/bin/mlflow db upgrade "$uri"
      ;;
    *)
      echo "MLFLOW_LOCAL_BACKEND_STORE_URI is not a SQLite file; after a backup, migrate it with: .venv/bin/mlflow db upgrade <its URI>"
      ;;
  esac
}

ensure_venv
if [ "$UPGRADE" = true ]; then
  before="$(installed_version)"
  spec="mlflow${MLFLOW_VERSION:+==$MLFLOW_VERSION}"
  echo "upgrading MLflow in .venv (now: $before) to ${MLFLOW_VERSION:-the newest release}"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "$spec"
  echo "MLflow $(installed_version) ready: .venv/bin/mlflow"
  migrate_local_store "$before"
  echo "restart a running MLflow (fleet-rlm serve, or fleet-rlm mlflow-server) to use the new version"
  exit 0
fi

MLFLOW_VERSION="${MLFLOW_VERSION:-$PINNED_VERSION}"
if [ "$(installed_version)" = "$MLFLOW_VERSION" ] && [ -x .venv/bin/mlflow ]; then
  echo "MLflow $MLFLOW_VERSION is already installed in .venv"
  exit 0
fi
echo "installing mlflow==$MLFLOW_VERSION into .venv (about a minute)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check "mlflow==$MLFLOW_VERSION"
echo "MLflow $(installed_version) ready: .venv/bin/mlflow"
