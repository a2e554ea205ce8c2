# Sourced by the test:docker scripts: sets `engine` to the container engine to use, ENGINE if
# given, else whichever answers (podman first), or exits 0 with a SKIP line naming the part
# ($1) when none answers.
engine=${ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then engine=podman
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine=docker
  fi
fi
if [ -z "$engine" ]; then
  echo "SKIP $1: no container engine answers here (neither 'podman info' nor 'docker info' works)."
  exit 0
elif ! command -v "$engine" >/dev/null 2>&1 || ! "$engine" info >/dev/null 2>&1; then
  echo "SKIP $1: ENGINE=$engine does not answer here ('$engine info' fails)."
  exit 0
fi
