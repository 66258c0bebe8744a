#!/usr/bin/env bash
# Installs MLflow from PyPI into the project-local venv (.venv), where the server's auto-start,
# `fleet-rlm mlflow-server` and the MLflow tests look for it. Idempotent: an existing install of
# the pinned version is kept. Everything else in the project works without it.
set -euo pipefail
cd "$(dirname "$0")/.."

MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
PYTHON="${PYTHON:-python3}"

if [ -x .venv/bin/mlflow ] && .venv/bin/python -c "import mlflow, sys; sys.exit(mlflow.__version__ != '$MLFLOW_VERSION')" 2>/dev/null; then
  echo "MLflow $MLFLOW_VERSION is already installed in .venv"
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv || {
    echo "could not create a venv: on Debian/Ubuntu install python3-venv (apt-get install python3-venv)" >&2
    exit 1
  }
fi
echo "installing mlflow==$MLFLOW_VERSION into .venv (about a minute)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check "mlflow==$MLFLOW_VERSION"
echo "MLflow $(.venv/bin/mlflow --version | awk '{print $NF}') ready: .venv/bin/mlflow"
