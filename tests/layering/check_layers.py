#!/usr/bin/env python3
"""Fails when a core file includes what its layer may not.

core/ is the engine: it never sees protobuf, gRPC, the API edge (api/), the
server, the client or the command-line parser, and its folders include each
other only downwards (the diagram in core/README.md). Usage:
  check_layers.py SOURCE_ROOT
"""
import os
import re
import sys

# What each core folder may include besides itself; "base" is core/*.h.
ALLOWED = {
    "base": set(),
    "util": {"base"},
    "exec": {"base", "util"},
    "source": {"base", "util"},
    "dsp": {"base", "util", "exec"},
    "io": {"base", "util", "exec", "source"},
    "preprocess": {"base", "util", "exec", "source", "dsp"},
    "cache": {"base", "util", "exec", "source", "io"},
    "features": {"base", "util", "exec", "source", "dsp", "io", "preprocess", "cache"},
    "dataset": {"base", "util", "exec", "source", "io"},
    "job": {"base", "util", "exec", "source", "dsp", "io", "preprocess", "features", "cache",
            "dataset"},
}
FORBIDDEN = re.compile(
    r'#include\s+[<"](google/protobuf|grpc|grpcpp|neurofeat/v1|api/|server/|client/|cmdline/)')
INCLUDE = re.compile(r'#include\s+"core/(?:([a-z_]+)/)?[a-z_]+\.h"')


def layer_of(relative):
  parts = relative.split(os.sep)
  return "base" if len(parts) == 2 else parts[1]


def main(root):
  problems = []
  core = os.path.join(root, "core")
  for directory, _, files in os.walk(core):
    for name in files:
      if not name.endswith((".h", ".cc")):
        continue
      path = os.path.join(directory, name)
      relative = os.path.relpath(path, root)
      layer = layer_of(relative)
      if layer not in ALLOWED:
        problems.append(f"{relative}: core/{layer} is not in the layer table")
        continue
      with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
          if FORBIDDEN.search(line):
            problems.append(f"{relative}:{number}: core may not include {line.strip()}")
            continue
          m = INCLUDE.search(line)
          if m:
            target = m.group(1) or "base"
            if target != layer and target not in ALLOWED[layer]:
              problems.append(
                  f"{relative}:{number}: core/{layer} may not include core/{target} "
                  f"({line.strip()})")
  for p in problems:
    print(p)
  print(f"{len(problems)} layering problems")
  return 1 if problems else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1]))
