# The original fleet-rlm's MLflow commands, as thin wrappers so its users' muscle memory works.
# The real commands are `fleet-rlm mlflow-server` (npm run mlflow-server) and
# scripts/setup-mlflow.sh (npm run setup:mlflow); everything else is npm scripts (npm run).

.PHONY: help mlflow mlflow-server mlflow-setup mlflow-upgrade

# make mlflow-server PORT=5002 → fleet-rlm mlflow-server --port 5002 (default: the port of
# MLFLOW_TRACKING_URI, 5001).
PORT ?=
MLFLOW_SERVER_FLAGS = $(if $(PORT),--port $(PORT))

help:
	@echo "make mlflow-server   - run a local MLflow tracking server in the foreground (fleet-rlm mlflow-server; PORT=5002 for another port)"
	@echo "make mlflow          - the same"
	@echo "make mlflow-setup    - install the pinned MLflow into ./.venv (npm run setup:mlflow)"
	@echo "make mlflow-upgrade  - upgrade ./.venv to the newest MLflow (MLFLOW_VERSION=x.y.z for another) and migrate the local store"
	@echo "Everything else: npm run (build, test, lint, start, ...)"

dist/cli/main.js:
	npm run build

mlflow-server: dist/cli/main.js
	node bin/fleet-rlm.js mlflow-server $(MLFLOW_SERVER_FLAGS)

mlflow: mlflow-server

mlflow-setup:
	scripts/setup-mlflow.sh

mlflow-upgrade:
	scripts/setup-mlflow.sh --upgrade
