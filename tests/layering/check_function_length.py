#!/usr/bin/env python3
"""Fails when a function in the given folders is longer than a limit.

Edges stay thin: a handler or command that grows past the limit is doing the
engine's work. A small C++ scanner: comments and literals are blanked, then
braces are matched; a brace block opened at namespace or class level after a
parameter list is a function body, and lambdas inside it count as part of it.
Usage:
  check_function_length.py SOURCE_ROOT MAX_LINES FOLDER...
"""
import os
import re
import sys

HEAD_OF_FUNCTION = re.compile(
    r"\)\s*(const)?\s*(noexcept)?\s*(override)?\s*(final)?\s*(->\s*[\w:<>,\s*&]+)?\s*"
    r"(:\s*[^{};]*)?$", re.S)


def blank(text):
  """Comments, strings and characters replaced by spaces (newlines kept)."""
  out = []
  i, n = 0, len(text)
  while i < n:
    c = text[i]
    if text.startswith("//", i):
      j = text.find("\n", i)
      j = n if j < 0 else j
      out.append(" " * (j - i))
      i = j
    elif text.startswith("/*", i):
      j = text.find("*/", i + 2)
      j = n if j < 0 else j + 2
      out.append(re.sub(r"[^\n]", " ", text[i:j]))
      i = j
    elif text.startswith('R"', i):
      m = re.match(r'R"([^(]*)\(', text[i:])
      end = text.find(")" + m.group(1) + '"', i) if m else -1
      j = n if end < 0 else end + len(m.group(1)) + 2
      out.append(re.sub(r"[^\n]", " ", text[i:j]))
      i = j
    elif c in "\"'":
      j = i + 1
      while j < n and text[j] != c:
        j += 2 if text[j] == "\\" else 1
      out.append(" " * (j + 1 - i))
      i = j + 1
    else:
      out.append(c)
      i += 1
  return "".join(out)


def functions(text):
  """(first line, last line) of each function body."""
  code = blank(text)
  stack = []  # kinds: namespace, class, function, other
  found = []
  last_stop = 0
  for i, c in enumerate(code):
    if c in ";}":
      if c == "}" and stack:
        kind, start = stack.pop()
        if kind == "function":
          found.append((code.count("\n", 0, start) + 1, code.count("\n", 0, i) + 1))
      last_stop = i + 1
    elif c == "{":
      head = code[last_stop:i].strip()
      in_function = any(k == "function" for k, _ in stack)
      if in_function:
        kind = "other"
      elif re.search(r"\bnamespace\b", head) or head.startswith('extern "C"'):
        kind = "namespace"
      elif re.search(r"\b(class|struct|union|enum)\b", head) and "(" not in head.split("{")[0]:
        kind = "class"
      elif HEAD_OF_FUNCTION.search(head):
        kind = "function"
      else:
        kind = "other"
      stack.append((kind, i))
      last_stop = i + 1
  return found


def main(root, limit, folders):
  problems = []
  for folder in folders:
    for directory, _, files in os.walk(os.path.join(root, folder)):
      for name in sorted(files):
        if not name.endswith((".h", ".cc")):
          continue
        path = os.path.join(directory, name)
        with open(path, encoding="utf-8") as f:
          text = f.read()
        for first, last in functions(text):
          if last - first + 1 > limit:
            problems.append(f"{os.path.relpath(path, root)}:{first}: a function of "
                            f"{last - first + 1} lines (limit {limit})")
  for p in problems:
    print(p)
  print(f"{len(problems)} functions over {limit} lines")
  return 1 if problems else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
