"""A Python toolchain for the interpreter of the project's environment.

`local_python` makes a repository holding a `py_runtime` whose interpreter is
`$TFVAE_PYTHON`, or else the `python3` found on `PATH` when Bazel runs (an
activated virtual environment's, for instance), so that `py_test` imports
TensorFlow from that environment. The interpreter is resolved to
`sys.executable`, which keeps a virtual environment's own path (not the
interpreter its symlink points at). Changing either variable makes Bazel
re-run the rule.
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "py3_runtime",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
    stub_shebang = "#!{interpreter}",
)

py_runtime_pair(
    name = "runtime_pair",
    py3_runtime = ":py3_runtime",
)

toolchain(
    name = "toolchain",
    toolchain = ":runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _local_python_impl(ctx):
    candidate = ctx.os.environ.get("TFVAE_PYTHON") or ctx.which("python3")
    if not candidate:
        fail("No python3 on PATH; set TFVAE_PYTHON to the interpreter that has tfvae's dependencies.")
    result = ctx.execute([str(candidate), "-c", "import sys; print(sys.executable)"])
    if result.return_code != 0 or not result.stdout.strip():
        fail("Could not run {}: {}".format(candidate, result.stderr))
    ctx.file("BUILD", _BUILD.format(interpreter = result.stdout.strip()))
    ctx.file("WORKSPACE", 'workspace(name = "{}")\n'.format(ctx.name))

local_python = repository_rule(
    implementation = _local_python_impl,
    environ = ["PATH", "TFVAE_PYTHON"],
    local = True,
)
